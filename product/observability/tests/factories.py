"""Traces for tests (and for the site-wide guard rails, which find factories by module name).

`TraceFactory` makes the index row; `SpanFactory` a step and `LLMCallFactory` a model attempt of
a trace (pass `trace=`: they take its id and workspace). `make_chat_trace` builds the shape a
chat reply records: the request, the job under it with its queue wait, a retrieval, and two
model attempts (a failed one, then its retry), with their bodies.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.llm.models import LLMCall
from product.observability.models import Span, Trace


class TraceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trace

    trace_id = factory.LazyFunction(lambda: secrets.token_hex(16))
    feature = "chat"
    name = "chat.reply"
    status = Trace.Status.OK
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=2))
    ended_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(seconds=2))
    duration_ms = 2000.0
    calls = 0
    cost_usd = Decimal("0")


class _InTrace(factory.django.DjangoModelFactory):
    """A row of a trace: `trace=` gives it the trace's id and workspace (and its user)."""

    class Meta:
        abstract = True

    class Params:
        trace: Trace | None = None

    trace_id = factory.LazyAttribute(
        lambda o: o.trace.trace_id if o.trace else secrets.token_hex(16)
    )
    workspace = factory.LazyAttribute(lambda o: o.trace.workspace if o.trace else None)
    span_id = factory.LazyFunction(lambda: secrets.token_hex(8))
    parent_span_id = ""


class SpanFactory(_InTrace):
    class Meta:
        model = Span

    user = factory.LazyAttribute(lambda o: o.trace.user if o.trace else None)
    kind = Span.Kind.RETRIEVAL
    name = "knowledge.search"
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=1))
    duration_ms = 120.0


class LLMCallFactory(_InTrace):
    class Meta:
        model = LLMCall

    user = factory.LazyAttribute(lambda o: o.trace.user if o.trace else None)
    feature = "chat"
    model = "dev-small"
    prompt_name = "chat.reply"
    prompt_version = "1"
    status = LLMCall.Status.SUCCEEDED
    input_tokens = 12
    output_tokens = 5
    latency_ms = 800
    cost_usd = Decimal("0.000020")
    request_messages = factory.LazyFunction(
        lambda: [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "What is a keel?"},
        ]
    )
    response_text = "The backbone of a boat."
    request_chars = 31
    response_chars = 23


def make_chat_trace(
    *, workspace: Workspace, user: User | None, bodies: bool = True, **trace_fields: Any
) -> tuple[Trace, dict[str, Any]]:
    """A finished chat reply's trace over 2 s, and its steps by role (see the module doc)."""
    start = timezone.now() - timedelta(seconds=10)
    trace = TraceFactory(
        workspace=workspace,
        user=user,
        started_at=start,
        ended_at=start + timedelta(seconds=2),
        duration_ms=2000.0,
        calls=2,
        input_tokens=24,
        output_tokens=5,
        **trace_fields,
    )
    request = SpanFactory(
        trace=trace, kind=Span.Kind.REQUEST, name="POST /chat/", started_at=start, duration_ms=50
    )
    job = SpanFactory(
        trace=trace,
        kind=Span.Kind.JOB,
        name="chat.reply",
        parent_span_id=request.span_id,
        started_at=start + timedelta(milliseconds=200),
        duration_ms=1800,
    )
    queue = SpanFactory(
        trace=trace,
        kind=Span.Kind.QUEUE,
        name="queue wait",
        parent_span_id=request.span_id,
        started_at=start + timedelta(milliseconds=50),
        duration_ms=150,
    )
    retrieval = SpanFactory(
        trace=trace,
        kind=Span.Kind.RETRIEVAL,
        name="knowledge.search",
        parent_span_id=job.span_id,
        started_at=start + timedelta(milliseconds=250),
        duration_ms=100,
    )
    body: dict[str, Any] = {} if bodies else {"request_messages": None, "response_text": None}
    failed = LLMCallFactory(
        trace=trace,
        parent_span_id=job.span_id,
        status=LLMCall.Status.FAILED,
        error="ProviderError: 503 from the provider",
        output_tokens=0,
        latency_ms=300,
        cost_usd=Decimal("0"),
        response_text=None,
        response_chars=None,
        created_at=start + timedelta(milliseconds=700),
        **({"request_messages": None} if not bodies else {}),
    )
    retry = LLMCallFactory(
        trace=trace,
        parent_span_id=job.span_id,
        attempt=2,
        retry_of=failed,
        latency_ms=1200,
        created_at=start + timedelta(milliseconds=1950),
        **body,
    )
    return trace, {
        "request": request,
        "job": job,
        "queue": queue,
        "retrieval": retrieval,
        "failed": failed,
        "retry": retry,
    }
