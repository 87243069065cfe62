"""Writes of traces: the sink that stores a finished request's or job's spans and adds it to its
trace's row. (The other writes of this app: rollups.py for usage, retention.py for pruning.)

product/core/tracing.py records in memory and calls `write_spans` once per scope (registered in
apps.py). Two statements, in SQL of our own rather than the ORM's: one multi-row INSERT of the
spans, one UPDATE of the `Trace` row that adds this scope's model calls, tokens and cost (counted
in memory as the gateway ledgered them, so the ledger is not read back), and an INSERT instead
when the trace is new. The request or job pays well under a millisecond of CPU for its trace
(bench/tracing_cost.py); the ORM's five statements cost about five.

A trace is written in parts: the request that submitted a job first, then each job (a chat
send's reply and title jobs, each retry of a job). The job the trace is about (`Trace.job`, the
first one submitted) decides its name, status and end; the others only add their steps.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from product.core import tracing
from product.observability.models import Trace

_STATUS = {
    tracing.OK: Trace.Status.OK,
    tracing.ERROR: Trace.Status.ERROR,
    tracing.CANCELLED: Trace.Status.CANCELLED,
}

_SPAN_COLUMNS = (
    "trace_id, span_id, parent_span_id, workspace_id, user_id, job_id, kind, name, status, "
    "error, started_at, duration_ms, attributes"
)


def write_spans(scope: tracing.TraceScope, spans: list[tracing.RecordedSpan]) -> None:
    workspace_id = scope.workspace_id
    if workspace_id is None:
        return  # nobody to show it to (a request that neither submitted a job nor called a model)
    with connection.cursor() as cursor:
        if spans:
            rows = [_span_row(scope, s, workspace_id) for s in spans]
            placeholders = ", ".join([_row_placeholder()] * len(rows))
            cursor.execute(
                f"INSERT INTO observability_span ({_SPAN_COLUMNS}) VALUES {placeholders}",  # noqa: S608 (placeholders only)
                [value for row in rows for value in row],
            )
        _add_to_trace(cursor, scope, spans, workspace_id)


def _row_placeholder() -> str:
    attributes = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    return f"(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, {attributes})"


def _uuid(value: uuid.UUID | None) -> uuid.UUID | str | None:
    """A UUID as the database takes it (Postgres: uuid; SQLite: 32 hex characters)."""
    if value is None:
        return None
    return value if connection.vendor == "postgresql" else value.hex


def _when(value: datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _span_row(
    scope: tracing.TraceScope, span: tracing.RecordedSpan, workspace_id: uuid.UUID
) -> list[Any]:
    return [
        span.trace_id,
        span.span_id,
        span.parent_span_id,
        _uuid(workspace_id),
        _uuid(scope.user_id),
        _uuid(scope.job_id),
        span.kind,
        span.name[:200],
        span.status,
        span.error,
        _when(span.started_at),
        span.duration_ms,
        json.dumps(span.attributes),
    ]


def _add_to_trace(
    cursor: CursorWrapper,
    scope: tracing.TraceScope,
    spans: list[tracing.RecordedSpan],
    workspace_id: uuid.UUID,
) -> None:
    started = min((s.started_at for s in spans), default=timezone.now())
    ended = max(
        (s.started_at + timedelta(milliseconds=s.duration_ms) for s in spans), default=started
    )
    # What this part says about the whole: a job says how the trace ended (if it is the trace's
    # job); a request with a job leaves it running; a request without one ended with itself.
    decides = scope.kind == tracing.JOB
    if decides:
        status = _STATUS.get(scope.status, Trace.Status.RUNNING)
    elif scope.job_id is not None:
        status = Trace.Status.RUNNING
    else:
        status = _STATUS.get(scope.status, Trace.Status.OK)
        decides = True
    ended_at = None if status == Trace.Status.RUNNING else ended
    cost = None if scope.cost_unknown else scope.cost_usd
    postgres = connection.vendor == "postgresql"
    least = "LEAST" if postgres else "MIN"

    def duration(end: str) -> str:
        """Milliseconds from the trace's (new) start to `end`, in the vendor's date arithmetic."""
        if postgres:
            return f"EXTRACT(EPOCH FROM ({end} - LEAST(started_at, %s))) * 1000"
        return f"(julianday({end}) - julianday(MIN(started_at, %s))) * 86400000"

    # Only the trace's own job (or the first part to name one) decides; SET reads the old row.
    mine = "(%s AND (job_id IS NULL OR job_id = %s))"
    sql = f"""
        UPDATE observability_trace SET
            started_at = {least}(started_at, %s),
            calls = calls + %s,
            input_tokens = input_tokens + %s,
            output_tokens = output_tokens + %s,
            cost_unknown = cost_unknown OR %s,
            cost_usd = CASE WHEN cost_unknown OR %s THEN NULL ELSE COALESCE(cost_usd, 0) + %s END,
            name = CASE WHEN {mine} THEN %s ELSE name END,
            feature = CASE WHEN {mine} THEN %s ELSE feature END,
            status = CASE WHEN {mine} THEN %s ELSE status END,
            ended_at = CASE WHEN {mine} THEN %s ELSE ended_at END,
            duration_ms = CASE WHEN {mine} AND %s THEN {duration("%s")}
                WHEN ended_at IS NOT NULL THEN {duration("ended_at")} ELSE duration_ms END,
            job_id = COALESCE(job_id, %s)
        WHERE trace_id = %s
    """  # noqa: S608 (no value is formatted in: only the vendor's function names)
    job = _uuid(scope.job_id)
    name, feature = scope.name[:200], scope.feature[:64]
    started_db, ended_db = _when(started), _when(ended_at)
    cursor.execute(
        sql,
        [
            started_db,
            scope.calls,
            scope.input_tokens,
            scope.output_tokens,
            scope.cost_unknown,
            scope.cost_unknown,
            cost or 0,
            *(decides, job, name),
            *(decides, job, feature),
            *(decides, job, status),
            *(decides, job, ended_db),
            *(decides, job, ended_at is not None, ended_db, started_db, started_db),
            job,
            scope.trace_id,
        ],
    )
    if cursor.rowcount:
        return
    duration_ms = None if ended_at is None else (ended_at - started) / timedelta(milliseconds=1)
    cursor.execute(
        "INSERT INTO observability_trace (trace_id, workspace_id, user_id, job_id, feature, name,"
        " status, started_at, ended_at, duration_ms, calls, input_tokens, output_tokens,"
        " cost_usd, cost_unknown) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " %s, %s) ON CONFLICT (trace_id) DO NOTHING",
        [
            scope.trace_id,
            _uuid(workspace_id),
            _uuid(scope.user_id),
            job,
            feature,
            name,
            status,
            started_db,
            ended_db,
            duration_ms,
            scope.calls,
            scope.input_tokens,
            scope.output_tokens,
            None if cost is None else connection.ops.adapt_decimalfield_value(cost, 12, 6),
            scope.cost_unknown,
        ],
    )
    if not cursor.rowcount:
        # Another part of the trace inserted it between our UPDATE and INSERT: add to it now.
        _add_to_trace(cursor, scope, spans, workspace_id)
