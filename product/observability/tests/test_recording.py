"""What a trace records: a chat send's request, its queue wait, the job, each model attempt with
the messages sent, the OpenTelemetry spans with the GenAI attributes, and the privacy switch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from product.accounts.models import User, Workspace
from product.chat import services as chat_services
from product.chat.models import Conversation, Message
from product.chat.tests.conftest import run_reply, send
from product.core import tracing
from product.jobs.models import Job
from product.llm import gateway
from product.llm.errors import ProviderError
from product.llm.models import LLMCall
from product.observability import services
from product.observability.models import Span, Trace

pytestmark = pytest.mark.usefixtures("devmodel_llm")


@pytest.fixture
def conversation(alice: User, acme: Workspace) -> Conversation:
    return chat_services.start_conversation(workspace=acme, user=alice)


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    """OpenTelemetry on, into memory (the product's exporter is OTLP; the spans are the same)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_tracer_provider(provider)
    try:
        yield exporter
    finally:
        tracing.use_tracer_provider(None)
        provider.shutdown()


def _call_of(reply: Message) -> LLMCall:
    assert reply.llm_call_id is not None
    return LLMCall.objects.get(pk=reply.llm_call_id)


def _reply_after_post(client: Client, conversation: Conversation, text: str) -> Message:
    response = client.post(
        reverse("chat:message-create", args=[conversation.pk]),
        {"text": text},
    )
    assert response.status_code == 302  # a plain POST; htmx gets the panel
    reply = conversation.messages.get(role=Message.Role.ASSISTANT)
    return run_reply(reply)


def test_a_reply_s_trace_is_complete_when_the_reply_ends(
    alice_client: Client, conversation: Conversation, alice: User
) -> None:
    reply = _reply_after_post(alice_client, conversation, "Hello [[reply: Hi Alice.]]")
    job = Job.objects.get(pk=str(reply.job_id))

    trace = Trace.objects.get(trace_id=job.trace_id)
    assert (trace.name, trace.feature, trace.status) == ("chat.reply", "chat", Trace.Status.OK)
    assert trace.user == alice and trace.job == job
    assert trace.calls == 1 and trace.output_tokens > 0 and trace.cost_usd
    assert trace.ended_at is not None and trace.duration_ms is not None

    spans = {s.kind: s for s in Span.objects.filter(trace_id=job.trace_id)}
    assert {"request", "queue", "job"} <= set(spans)
    request, queue, job_span = spans["request"], spans["queue"], spans["job"]
    assert request.name == "POST /chat/<uuid:pk>/messages/"
    assert job.parent_span_id == request.span_id == job_span.parent_span_id
    assert queue.parent_span_id == job_span.span_id
    assert job_span.attributes["keel.job.attempt"] == 1

    call = _call_of(reply)
    assert (call.trace_id, call.parent_span_id) == (job.trace_id, job_span.span_id)
    assert len(call.span_id) == 16
    assert call.request_messages is not None
    assert call.request_messages[-1] == {"role": "user", "content": "Hello [[reply: Hi Alice.]]"}
    assert call.response_text == "Hi Alice."
    assert call.request_chars == sum(len(m["content"]) for m in call.request_messages)
    assert call.response_chars == len("Hi Alice.")


def test_a_workspace_that_keeps_no_bodies_keeps_only_their_sizes(
    conversation: Conversation, alice: User, acme: Workspace
) -> None:
    acme.store_model_bodies = False
    acme.save()
    reply = run_reply(send(conversation, alice, "Secret plans [[reply: Noted, quietly.]]").reply)
    call = _call_of(reply)
    assert call.request_messages is None and call.response_text is None
    assert call.request_chars and call.request_chars >= len("Secret plans")
    assert call.response_chars == len("Noted, quietly.")
    assert call.output_tokens > 0 and call.trace_id


def test_the_global_default_applies_when_the_workspace_says_nothing(
    conversation: Conversation, alice: User, settings: object
) -> None:
    settings.LLM_STORE_BODIES = False  # type: ignore[attr-defined]
    reply = run_reply(send(conversation, alice, "[[reply: Fine.]]").reply)
    assert _call_of(reply).request_messages is None


def test_a_request_that_calls_no_model_writes_no_trace(alice_client: Client) -> None:
    assert alice_client.get(reverse("core:dashboard-page")).status_code == 200
    assert not Trace.objects.exists() and not Span.objects.exists()


def _genai(span: ReadableSpan) -> dict[str, object]:
    return {k: v for k, v in (span.attributes or {}).items() if k.startswith("gen_ai.")}


def test_each_model_attempt_is_an_otel_span_with_the_genai_attributes(
    exported: InMemorySpanExporter, acme: Workspace, alice: User
) -> None:
    with tracing.begin(kind=tracing.JOB, name="test.job", feature="test", workspace_id=acme.pk):
        result = gateway.complete(
            workspace=acme,
            user=alice,
            feature="test",
            messages=[{"role": "user", "content": "[[reply: Four words right here]]"}],
            prompt_name="test",
            temperature=0.0,
            seed=7,
            max_tokens=50,
        )
    [attempt] = [s for s in exported.get_finished_spans() if s.name.startswith("chat ")]
    call = LLMCall.objects.get(pk=result.call_id)
    assert attempt.name == "chat keel-dev-small"
    assert _genai(attempt) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "keel-dev-small",
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.temperature": 0.0,
        "gen_ai.request.seed": 7,
        "gen_ai.response.model": "keel-dev-small",
        "gen_ai.response.id": attempt.attributes["gen_ai.response.id"],  # type: ignore[index]
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": call.input_tokens,
        "gen_ai.usage.output_tokens": call.output_tokens,
    }
    assert str(attempt.attributes["gen_ai.response.id"]).startswith("chatcmpl")  # type: ignore[index]
    assert attempt.kind.name == "CLIENT"
    # The ledger row and the exported span are one observation: the same ids.
    assert call.span_id == format(attempt.context.span_id, "016x")
    assert call.trace_id == format(attempt.context.trace_id, "032x")


def test_the_trace_id_goes_from_the_request_through_the_job_row_into_the_worker(
    exported: InMemorySpanExporter, alice_client: Client, conversation: Conversation
) -> None:
    reply = _reply_after_post(alice_client, conversation, "[[reply: Traced.]]")
    job = Job.objects.get(pk=str(reply.job_id))
    finished = exported.get_finished_spans()
    [job_span] = [s for s in finished if s.name == "chat.reply"]
    [attempt] = [s for s in finished if s.name.startswith("chat keel")]
    assert format(job_span.context.trace_id, "032x") == job.trace_id
    assert job_span.parent is not None
    assert format(job_span.parent.span_id, "016x") == job.parent_span_id
    assert attempt.parent is not None and attempt.parent.span_id == job_span.context.span_id


def test_a_failed_attempt_is_a_failed_span_in_the_trace(
    exported: InMemorySpanExporter, acme: Workspace, alice: User, settings: object
) -> None:
    settings.LLM_MAX_RETRIES = 0  # type: ignore[attr-defined]
    with (
        tracing.begin(kind=tracing.JOB, name="t", feature="t", workspace_id=acme.pk),
        pytest.raises(ProviderError),
    ):
        gateway.complete(
            workspace=acme,
            user=alice,
            feature="test",
            messages=[{"role": "user", "content": "[[error: 400]]"}],
            prompt_name="test",
        )
    [attempt] = [s for s in exported.get_finished_spans() if s.name.startswith("chat ")]
    assert attempt.status.status_code.name == "ERROR"
    call = LLMCall.objects.get(span_id=format(attempt.context.span_id, "016x"))
    assert call.status == LLMCall.Status.FAILED and call.trace_id


def _part(kind: str, acme: Workspace, *, job: Job | None, trace_id: str, **totals: Any) -> None:
    scope = tracing.TraceScope(
        trace_id=trace_id,
        kind=kind,
        name="chat.reply" if kind == tracing.JOB else "POST /chat/",
        feature="chat",
        workspace_id=acme.pk,
        job_id=job.pk if job else None,
        kept=True,
        **totals,
    )
    now = timezone.now()
    span = tracing.RecordedSpan(
        trace_id=trace_id,
        span_id=tracing.new_span_id(),
        parent_span_id="",
        kind=kind,
        name=scope.name,
        started_at=now - timedelta(seconds=1 if kind == tracing.REQUEST else 0),
        duration_ms=500.0,
    )
    services.write_spans(scope, [span])


@pytest.mark.parametrize("job_first", [False, True])
def test_a_trace_sums_its_parts_in_either_order(
    acme: Workspace, alice: User, job_first: bool
) -> None:
    job = Job.objects.create(workspace=acme, created_by=alice, kind="chat.reply")
    title = Job.objects.create(workspace=acme, created_by=alice, kind="chat.title")
    trace_id = tracing.new_trace_id()
    request = (tracing.REQUEST, {"job": job})
    reply = (tracing.JOB, {"job": job, "calls": 2, "output_tokens": 9, "cost_usd": Decimal("0.5")})
    parts = [reply, request] if job_first else [request, reply]
    for kind, extra in [*parts, (tracing.JOB, {"job": title, "calls": 1, "output_tokens": 1})]:
        _part(kind, acme, trace_id=trace_id, **extra)  # type: ignore[arg-type]
    trace = Trace.objects.get(trace_id=trace_id)
    assert (trace.name, trace.status, trace.job_id) == ("chat.reply", "ok", job.pk)
    assert (trace.calls, trace.output_tokens, trace.cost_usd) == (3, 10, Decimal("0.5"))
    assert trace.ended_at is not None and trace.duration_ms == pytest.approx(1500, abs=50)
    assert Span.objects.filter(trace_id=trace_id).count() == 3
