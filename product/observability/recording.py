"""The trace sink: write a finished request's or job's spans, and sum its trace up.

product/core/tracing.py records in memory and calls `write_spans` once per scope (registered in
apps.py). One bulk INSERT of spans and one upsert of the `Trace` row: the request or job pays a
couple of queries per trace, not one per step.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from product.core import tracing
from product.llm.models import LLMCall
from product.observability.models import Span, Trace

_STATUS = {
    tracing.OK: Trace.Status.OK,
    tracing.ERROR: Trace.Status.ERROR,
    tracing.CANCELLED: Trace.Status.CANCELLED,
}


def write_spans(scope: tracing.TraceScope, spans: list[tracing.RecordedSpan]) -> None:
    workspace_id = scope.workspace_id
    if workspace_id is None:
        return  # nobody to show it to (a request that neither submitted a job nor called a model)
    with transaction.atomic():
        Span.objects.bulk_create(
            Span(
                trace_id=s.trace_id,
                span_id=s.span_id,
                parent_span_id=s.parent_span_id,
                workspace_id=workspace_id,
                user_id=scope.user_id,
                job_id=scope.job_id,
                kind=s.kind,
                name=s.name[:200],
                status=s.status,
                error=s.error,
                started_at=s.started_at,
                duration_ms=s.duration_ms,
                attributes=s.attributes,
            )
            for s in spans
        )
        _sum_up(scope, spans, workspace_id)


def _sum_up(
    scope: tracing.TraceScope, spans: list[tracing.RecordedSpan], workspace_id: uuid.UUID
) -> None:
    started = min((s.started_at for s in spans), default=timezone.now())
    ended = max(
        (s.started_at + timedelta(milliseconds=s.duration_ms) for s in spans), default=started
    )
    trace = Trace.objects.select_for_update().filter(trace_id=scope.trace_id).first()
    if trace is None:
        trace = Trace(
            trace_id=scope.trace_id,
            workspace_id=workspace_id,
            user_id=scope.user_id,
            job_id=scope.job_id,
            feature=scope.feature,
            name=scope.name[:200],
            started_at=started,
        )
    trace.started_at = min(trace.started_at, started)
    if trace.job_id is None and scope.job_id is not None:
        trace.job_id = scope.job_id
    if scope.kind == tracing.JOB and scope.job_id == trace.job_id:
        # The job the trace is about decides its name and status (a chat send's title job only
        # adds its steps to the waterfall).
        trace.name, trace.feature = scope.name[:200], scope.feature
        trace.status = _STATUS.get(scope.status, Trace.Status.RUNNING)
        trace.ended_at = ended if trace.status != Trace.Status.RUNNING else None
    elif trace.job_id is None:
        # A request that called a model itself: it ends with the request.
        trace.status = _STATUS.get(scope.status, Trace.Status.OK)
        trace.ended_at = ended
    if trace.ended_at is not None:
        trace.duration_ms = (trace.ended_at - trace.started_at) / timedelta(milliseconds=1)
    totals = LLMCall.objects.filter(trace_id=scope.trace_id).aggregate(
        calls=Count("id"),
        input_tokens=Sum("input_tokens"),
        output_tokens=Sum("output_tokens"),
        cost=Sum("cost_usd"),
        unknown=Count("id", filter=Q(cost_unknown=True)),
    )
    trace.calls = totals["calls"] or 0
    trace.input_tokens = totals["input_tokens"] or 0
    trace.output_tokens = totals["output_tokens"] or 0
    trace.cost_unknown = bool(totals["unknown"])
    trace.cost_usd = None if trace.cost_unknown else (totals["cost"] or Decimal(0))
    trace.save()
