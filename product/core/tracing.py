"""The trace recorder: what a request or a job did, step by step, at almost no cost.

A *trace* is one request or one job (a job continues the trace of the request that submitted it,
so a chat reply's waterfall starts at the POST). `begin(...)` opens one around the work; inside,
`span(kind, name)` times a step (retrieval, grading, an ingestion stage). Spans are kept in
memory, in a context variable (threads started with `contextvars.copy_context()` share it), and
handed to the sink once, when the trace's scope ends: the observability app registers the sink
(`set_sink`) and writes them in one INSERT, so the request pays nothing per step.

Model attempts are the ledger's rows: the gateway opens a span per attempt with `persist=False`
and writes its ids on the `LLMCall` (`current_span()`), so no span row repeats the ledger.

With OpenTelemetry configured (product/core/telemetry.py) every span is also an OTel span: its
ids *are* the OTel ids, it nests under the request's or the Celery task's span, and what runs
inside it (psycopg, the SDK's HTTP) nests under it. Without it the ids are random hex of the same
shape and the OTel API is a no-op.
"""

from __future__ import annotations

import contextvars
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace

logger = logging.getLogger(__name__)

# Span kinds. A generation/embedding is a model attempt: it is recorded as an LLMCall, not a span.
REQUEST = "request"
JOB = "job"
QUEUE = "queue"
RETRIEVAL = "retrieval"
TOOL = "tool"
GRADER = "grader"
STAGE = "stage"
GENERATION = "generation"
EMBEDDING = "embedding"

OK, ERROR, CANCELLED = "ok", "error", "cancelled"


@dataclass
class RecordedSpan:
    """A finished step, as the sink receives it."""

    trace_id: str
    span_id: str
    parent_span_id: str
    kind: str
    name: str
    started_at: datetime
    duration_ms: float
    status: str = OK
    error: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class TraceScope:
    """One open trace: who it belongs to and the spans recorded so far."""

    trace_id: str
    kind: str  # REQUEST or JOB: what the root span is
    name: str
    feature: str
    workspace_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    job_id: uuid.UUID | None = None
    # Whether the trace is worth writing: a job always is; a request only once it submitted a
    # job or called a model (`keep()`), so the thousands of page views write nothing.
    kept: bool = False
    status: str = OK
    error: str = ""
    settled: bool = False  # the status was set by the work itself (see ActiveSpan.settled)
    spans: list[RecordedSpan] = field(default_factory=list)
    # The model attempts made in this scope, summed as they are ledgered (note_call), so the
    # sink adds them to the trace's totals without reading the ledger back.
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    cost_unknown: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, span: RecordedSpan) -> None:
        with self.lock:
            self.spans.append(span)


@dataclass
class ActiveSpan:
    """A step in progress: `set()` attributes, `fail()` it; its ids name it in the ledger."""

    trace_id: str
    span_id: str
    parent_span_id: str
    kind: str
    name: str
    attributes: dict[str, Any]
    otel: otel_trace.Span
    status: str = OK
    error: str = ""
    # Set once the outcome was decided on purpose: an exception leaving the block then does
    # not overrule it (a job's countdown retry leaves by raising, and ended fine).
    settled: bool = False

    def set(self, key: str, value: Any) -> None:
        self.attributes[key] = value

    def update(self, values: Mapping[str, Any]) -> None:
        self.attributes.update(values)

    def fail(self, error: str, *, status: str = ERROR) -> None:
        self.status, self.error, self.settled = status, error, True


Sink = Callable[[TraceScope, list[RecordedSpan]], None]
_sink: Sink | None = None
_scope: contextvars.ContextVar[TraceScope | None] = contextvars.ContextVar(
    "keel_trace", default=None
)
_span: contextvars.ContextVar[ActiveSpan | None] = contextvars.ContextVar("keel_span", default=None)
_provider: otel_trace.TracerProvider | None = None


def set_sink(sink: Sink) -> None:
    """Where finished traces go (the observability app's writer)."""
    global _sink
    _sink = sink


def use_tracer_provider(provider: otel_trace.TracerProvider | None) -> None:
    """Send spans to `provider` instead of the global one (telemetry.configure; tests)."""
    global _provider
    _provider = provider


def _tracer() -> otel_trace.Tracer:
    provider = _provider if _provider is not None else otel_trace.get_tracer_provider()
    return provider.get_tracer("keel")


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


def current() -> TraceScope | None:
    return _scope.get()


def current_span() -> ActiveSpan | None:
    return _span.get()


def current_ids() -> tuple[str, str]:
    """(trace id, span id) of the step in progress, or ("", "") outside any trace."""
    scope, active = _scope.get(), _span.get()
    if scope is None:
        return "", ""
    return scope.trace_id, active.span_id if active is not None else ""


def keep(
    *,
    workspace_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    job_id: uuid.UUID | None = None,
) -> None:
    """Mark the open trace worth writing (it submitted a job or called a model), and name its
    workspace, user and job if the scope did not know them yet (a request learns them here)."""
    scope = _scope.get()
    if scope is None:
        return
    scope.kept = True
    if scope.workspace_id is None and workspace_id is not None:
        scope.workspace_id = workspace_id
    if scope.user_id is None and user_id is not None:
        scope.user_id = user_id
    if scope.job_id is None and job_id is not None:
        scope.job_id = job_id


def note_call(
    *, input_tokens: int, output_tokens: int, cost_usd: Decimal | None, cost_unknown: bool
) -> None:
    """Count one ledgered model attempt into the open trace's totals."""
    scope = _scope.get()
    if scope is None:
        return
    with scope.lock:
        scope.calls += 1
        scope.input_tokens += input_tokens
        scope.output_tokens += output_tokens
        scope.cost_usd += cost_usd or Decimal(0)
        scope.cost_unknown = scope.cost_unknown or cost_unknown


def _otel_parent(trace_id: str, parent_span_id: str) -> otel_context.Context | None:
    """The OTel context a span with these ids nests under: the current OTel span if it is in the
    same trace (the Celery task's, the request's), else the remote parent named by the ids."""
    current_context = otel_trace.get_current_span().get_span_context()
    if current_context.is_valid and format(current_context.trace_id, "032x") == trace_id:
        return None  # the current context already is the right parent
    try:
        parent = otel_trace.SpanContext(
            trace_id=int(trace_id, 16),
            span_id=int(parent_span_id, 16) if parent_span_id else int(new_span_id(), 16),
            is_remote=True,
            trace_flags=otel_trace.TraceFlags(otel_trace.TraceFlags.SAMPLED),
        )
    except ValueError:
        return None
    return otel_trace.set_span_in_context(otel_trace.NonRecordingSpan(parent))


@contextmanager
def _otel_span(
    name: str, attributes: Mapping[str, Any], *, parent: otel_context.Context | None
) -> Iterator[otel_trace.Span]:
    otel = _tracer().start_span(
        name,
        context=parent,
        kind=otel_trace.SpanKind.CLIENT
        if attributes.get("gen_ai.operation.name")
        else otel_trace.SpanKind.INTERNAL,
    )
    token = otel_context.attach(otel_trace.set_span_in_context(otel))
    try:
        yield otel
    finally:
        otel_context.detach(token)


def _ids_of(otel: otel_trace.Span, trace_id: str) -> str:
    """Our span id: the OTel one when it is recording in our trace, else a random one.

    Without an SDK the API's no-op tracer hands back its parent's context as the "new" span, so
    an unrecorded span's id is its parent's: taking it would give every step one id."""
    context = otel.get_span_context()
    if otel.is_recording() and context.is_valid and format(context.trace_id, "032x") == trace_id:
        return format(context.span_id, "016x")
    return new_span_id()


def _finish_otel(span: ActiveSpan) -> None:
    otel = span.otel
    if otel.is_recording():
        otel.set_attributes(
            {k: v for k, v in span.attributes.items() if isinstance(v, (str, bool, int, float))}
            | {
                k: list(v)
                for k, v in span.attributes.items()
                if isinstance(v, (list, tuple)) and all(isinstance(i, str) for i in v)
            }
        )
        if span.status == ERROR:
            otel.set_status(otel_trace.Status(otel_trace.StatusCode.ERROR, span.error[:500]))
    otel.end()


@contextmanager
def span(
    kind: str, name: str, attributes: Mapping[str, Any] | None = None, *, persist: bool = True
) -> Iterator[ActiveSpan]:
    """Time one step of the open trace. Outside a trace it still yields a span (so callers need
    no branch) that nothing records. An exception leaving the block marks the span failed.

    `persist=False`: the step is recorded elsewhere (a model attempt: its LLMCall row)."""
    scope = _scope.get()
    parent = _span.get()
    trace_id = scope.trace_id if scope is not None else ""
    parent_id = parent.span_id if parent is not None else ""
    attrs = dict(attributes or {})
    started_wall = timezone.now()
    started = time.perf_counter()
    otel_parent = _otel_parent(trace_id, parent_id) if trace_id else None
    with _otel_span(name, attrs, parent=otel_parent) as otel:
        active = ActiveSpan(
            trace_id=trace_id,
            span_id=_ids_of(otel, trace_id) if trace_id else new_span_id(),
            parent_span_id=parent_id,
            kind=kind,
            name=name,
            attributes=attrs,
            otel=otel,
        )
        token = _span.set(active)
        try:
            yield active
        except BaseException as exc:
            if not active.settled:
                active.fail(f"{type(exc).__name__}: {exc}"[:2000])
            raise
        finally:
            _span.reset(token)
            _finish_otel(active)
            if scope is not None and persist:
                scope.add(
                    RecordedSpan(
                        trace_id=trace_id,
                        span_id=active.span_id,
                        parent_span_id=parent_id,
                        kind=kind,
                        name=active.name,
                        started_at=started_wall,
                        duration_ms=(time.perf_counter() - started) * 1000,
                        status=active.status,
                        error=active.error,
                        attributes=_jsonable(attrs),
                    )
                )


def record_span(
    kind: str,
    name: str,
    *,
    started_at: datetime,
    ended_at: datetime,
    attributes: Mapping[str, Any] | None = None,
) -> None:
    """A step measured by timestamps rather than around code (the wait in the queue)."""
    scope = _scope.get()
    if scope is None:
        return
    parent = _span.get()
    scope.add(
        RecordedSpan(
            trace_id=scope.trace_id,
            span_id=new_span_id(),
            parent_span_id=parent.span_id if parent is not None else "",
            kind=kind,
            name=name,
            started_at=started_at,
            duration_ms=max((ended_at - started_at) / timedelta(milliseconds=1), 0.0),
            attributes=_jsonable(dict(attributes or {})),
        )
    )


@contextmanager
def begin(
    *,
    kind: str,
    name: str,
    feature: str,
    trace_id: str = "",
    parent_span_id: str = "",
    workspace_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    job_id: uuid.UUID | None = None,
    root_span_id: str = "",
    attributes: Mapping[str, Any] | None = None,
    flush_at_end: bool = True,
) -> Iterator[TraceScope]:
    """Open a trace (or continue `trace_id`, under `parent_span_id`) around one request or job.

    The root span is the request or the job itself. When the block ends the spans go to the sink
    (for a request only if `keep()` was called); a failing sink is logged, never raised: tracing
    must not fail the work it watches. `flush_at_end=False`: the caller flushes (an async caller,
    through sync_to_async, since the sink writes to the database).
    """
    if not trace_id:
        current_otel = otel_trace.get_current_span().get_span_context()
        trace_id = (
            format(current_otel.trace_id, "032x") if current_otel.is_valid else new_trace_id()
        )
    scope = TraceScope(
        trace_id=trace_id,
        kind=kind,
        name=name,
        feature=feature,
        workspace_id=workspace_id,
        user_id=user_id,
        job_id=job_id,
        kept=kind != REQUEST,
    )
    scope_token = _scope.set(scope)
    # The root continues the submitting request: that span is its parent.
    parent_token = _span.set(
        ActiveSpan(
            trace_id=trace_id,
            span_id=parent_span_id,
            parent_span_id="",
            kind=REQUEST,
            name="",
            attributes={},
            otel=otel_trace.INVALID_SPAN,
        )
        if parent_span_id
        else None
    )
    try:
        if root_span_id:
            # The root's span exists already (Django's request span under OTel): reuse its id.
            root_token = _span.set(
                ActiveSpan(
                    trace_id=trace_id,
                    span_id=root_span_id,
                    parent_span_id=parent_span_id,
                    kind=kind,
                    name=name,
                    attributes=dict(attributes or {}),
                    otel=otel_trace.INVALID_SPAN,
                )
            )
            started_wall, started = timezone.now(), time.perf_counter()
            try:
                yield scope
            finally:
                _span.reset(root_token)
                scope.add(
                    RecordedSpan(
                        trace_id=trace_id,
                        span_id=root_span_id,
                        parent_span_id=parent_span_id,
                        kind=kind,
                        name=scope.name,
                        started_at=started_wall,
                        duration_ms=(time.perf_counter() - started) * 1000,
                        status=_span_status(scope.status),
                        error=scope.error,
                        attributes=_jsonable(dict(attributes or {})),
                    )
                )
        else:
            with span(kind, name, attributes) as root:
                try:
                    yield scope
                finally:
                    root.status, root.error = _span_status(scope.status), scope.error
                    root.settled = scope.settled
                    root.name = scope.name
                    root.otel.update_name(scope.name)
    finally:
        _span.reset(parent_token)
        _scope.reset(scope_token)
        # Also when the work raised (a countdown retry leaves run_job by raising): what it did
        # until then is part of the trace.
        if flush_at_end:
            flush(scope)


def _span_status(status: str) -> str:
    """A root span's status; a job that went back to the queue ended this attempt fine."""
    return status if status in (OK, ERROR, CANCELLED) else OK


def flush(scope: TraceScope) -> None:
    """Hand the scope's spans to the sink (once; what is handed over is gone from the scope)."""
    if not scope.kept or _sink is None:
        return
    with scope.lock:
        spans, scope.spans = scope.spans, []
    try:
        _sink(scope, spans)
    except Exception:
        logger.exception("trace %s: could not write its %d spans", scope.trace_id, len(spans))


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Attributes as JSON can keep them (a UUID or a datetime as text)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or isinstance(value, (str, bool, int, float)):
            out[key] = value
        elif isinstance(value, (list, tuple)):
            out[key] = [v if isinstance(v, (str, bool, int, float)) else str(v) for v in value]
        else:
            out[key] = str(value)
    return out
