"""Where traces start and how they travel: an Ask once job and an API request each write a
complete trace (request, queue wait, job, the model attempt), the trace context rides in a real
Celery message's headers into the task, and with the OpenTelemetry instrumentations on, Django's
request span is exported and is the root Keel's request trace reuses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from celery.worker.request import Request
from django.test import Client
from django.urls import reverse
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from product.accounts.models import User
from product.ask.models import Question
from product.core import tracing
from product.jobs import services as job_services
from product.jobs.models import Job
from product.llm.models import LLMCall
from product.observability.models import Span, Trace
from worker.celery import app

pytestmark = pytest.mark.usefixtures("devmodel_llm")
ASK = {"text": "[[reply: The gist, traced.]] A long memo.", "task": "summarise"}


def assert_complete_trace(job: Job, *, request_name: str) -> None:
    """The request that submitted the job, its wait in the queue, the job, and the job's model
    attempt (a ledger row carrying the trace's ids), all in the job's trace, correctly nested."""
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    trace = Trace.objects.get(trace_id=job.trace_id)
    assert (trace.name, trace.feature, trace.status) == ("ask.once", "ask", Trace.Status.OK)
    assert trace.job == job and trace.calls == 1 and trace.output_tokens > 0
    assert trace.ended_at is not None

    spans = {s.kind: s for s in Span.objects.filter(trace_id=job.trace_id)}
    assert set(spans) == {"request", "queue", "job"}
    request, queue, job_span = spans["request"], spans["queue"], spans["job"]
    assert request.name == request_name
    assert job.parent_span_id == request.span_id == job_span.parent_span_id
    assert queue.parent_span_id == job_span.span_id

    [call] = LLMCall.objects.filter(job=job)
    assert call.status == LLMCall.Status.SUCCEEDED
    assert (call.trace_id, call.parent_span_id) == (job.trace_id, job_span.span_id)
    assert len(call.span_id) == 16 and call.span_id not in {s.span_id for s in spans.values()}
    assert call.response_text == "The gist, traced."


def test_an_ask_once_job_writes_a_complete_trace(alice_client: Client) -> None:
    response = alice_client.post(reverse("ask:question-list"), ASK)
    assert response.status_code == 302
    job = Job.objects.get(kind="ask.once")
    job_services.run_job(job.pk)  # what the worker does
    assert_complete_trace(job, request_name="POST /ask/")


def test_an_api_request_that_reaches_the_model_writes_a_complete_trace(
    client: Client, alice_api: dict[str, Any]
) -> None:
    response = client.post(
        "/api/v1/questions", data=json.dumps(ASK), content_type="application/json", **alice_api
    )
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["job"]["id"])
    job_services.run_job(job.pk)
    assert_complete_trace(job, request_name="POST /api/v1/questions")
    assert Question.objects.get(job=job).answer == "The gist, traced."


@pytest.fixture
def instrumented() -> Iterator[InMemorySpanExporter]:
    """What telemetry.configure switches on (Keel's spans, Django's and Celery's
    instrumentations), exporting into memory instead of over OTLP."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_tracer_provider(provider)
    DjangoInstrumentor().instrument(tracer_provider=provider)
    CeleryInstrumentor().instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        CeleryInstrumentor().uninstrument()
        DjangoInstrumentor().uninstrument()
        tracing.use_tracer_provider(None)
        provider.shutdown()


def trace_id_of(span: ReadableSpan) -> str:
    assert span.context is not None
    return format(span.context.trace_id, "032x")


def span_id_of(span: ReadableSpan) -> str:
    assert span.context is not None
    return format(span.context.span_id, "016x")


def signed_in(user: User) -> Client:
    # A client made after the instrumentor put its middleware in settings.MIDDLEWARE (a
    # client's handler reads the middleware on its first request).
    client = Client()
    client.force_login(user)
    return client


def test_django_s_request_span_is_exported_and_is_the_keel_request_span(
    instrumented: InMemorySpanExporter, alice: User
) -> None:
    response = signed_in(alice).post(reverse("ask:question-list"), ASK)
    assert response.status_code == 302
    [server] = [s for s in instrumented.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert server.name == "POST ask/"
    assert (server.attributes or {}).get("http.response.status_code", 302) == 302
    job = Job.objects.get(kind="ask.once")
    # Keel's request trace is Django's: the same trace id, and its root span is Django's span.
    assert job.trace_id == trace_id_of(server)
    assert job.parent_span_id == span_id_of(server)
    request = Span.objects.get(trace_id=job.trace_id, kind="request")
    assert request.span_id == span_id_of(server)


@pytest.mark.django_db(transaction=True)
def test_the_trace_context_rides_in_the_celery_message_headers_into_the_task(
    instrumented: InMemorySpanExporter, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Committed transactions (transaction=True): the job is sent on commit, inside the request,
    # as in production. The message goes to kombu's in-memory transport, where it is read back.
    task = app.tasks["jobs.run_job"]
    with app.connection_for_write("memory://") as connection:
        queue = app.amqp.queues["llm"]
        queue(connection.default_channel).declare()
        send, producer = task.apply_async, connection.Producer()

        def send_to_memory(*args: Any, **options: Any) -> Any:
            return send(*args, **{**options, "producer": producer})

        monkeypatch.setattr(task, "apply_async", send_to_memory)
        response = signed_in(alice).post(reverse("ask:question-list"), ASK)
        assert response.status_code == 302
        job = Job.objects.get(kind="ask.once")
        message = connection.SimpleQueue(queue.name).get(timeout=5)

        # The W3C context is in the message's headers: the request's trace, not just the row's.
        version, trace_id, parent_id, _flags = message.headers["traceparent"].split("-")
        assert (version, trace_id) == ("00", job.trace_id)
        [publish] = [s for s in instrumented.get_finished_spans() if s.kind == SpanKind.PRODUCER]
        assert parent_id == span_id_of(publish) and trace_id_of(publish) == job.trace_id

        # The worker's side: Celery's own Request over the message received, as a worker runs it.
        # The instrumentation reads the context from the task's request (the headers).
        Request(message, app=app, task=task).execute()

    finished = instrumented.get_finished_spans()
    [run] = [s for s in finished if s.kind == SpanKind.CONSUMER]
    assert run.name == "run/jobs.run_job"
    assert trace_id_of(run) == job.trace_id
    assert run.parent is not None and format(run.parent.span_id, "016x") == span_id_of(publish)
    [job_span] = [s for s in finished if s.name == "ask.once"]
    assert trace_id_of(job_span) == job.trace_id
    assert_complete_trace(job, request_name="POST /ask/")
