"""Traces and usage over the API: list the workspace's traces (filtered by feature, status and
time) and read one with its spans and model attempts; usage aggregates by day, model, feature and
member (`GET /usage`).

Scoped exactly like the pages, through the same door (`selectors.get_trace_for_user`): an API key
acts as its creator in its workspace, so an owner's or admin's key sees every trace of the
workspace and a member's key only the member's own; anything else is a 404.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from product.apikeys.auth import require_scope
from product.core.errors import InvalidInput
from product.core.pagination import cursor_paginated
from product.llm import quotas
from product.llm.models import LLMCall
from product.observability import selectors, usage
from product.observability.models import Span, Trace

router = Router(tags=["observability"])
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class TraceOut(Schema):
    trace_id: str = Field(description="32 hex digits (the OpenTelemetry trace id when exported).")
    name: str = Field(examples=["chat.reply"])
    feature: str = Field(description="The app that made it, or `api`.", examples=["chat"])
    status: str = Field(description="running, ok, error or cancelled", examples=["ok"])
    started_at: datetime
    ended_at: datetime | None = Field(description="Null while the trace runs.")
    duration_ms: float | None
    call_count: int = Field(description="Model attempts (every retry and fallback counts).")
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal | None = Field(description="Null when a model's price is unknown.")
    cost_unknown: bool
    user_id: uuid.UUID | None = Field(description="Whose request it was.")
    job_id: uuid.UUID | None = Field(description="The job it ran, if any (`GET /jobs/{id}`).")

    @staticmethod
    def fields_of(trace: Trace) -> dict[str, Any]:
        return {
            "trace_id": trace.trace_id,
            "name": trace.name,
            "feature": trace.feature,
            "status": trace.status,
            "started_at": trace.started_at,
            "ended_at": trace.ended_at,
            "duration_ms": trace.duration_ms,
            "call_count": trace.calls,
            "input_tokens": trace.input_tokens,
            "output_tokens": trace.output_tokens,
            "cost_usd": trace.cost_usd,
            "cost_unknown": trace.cost_unknown,
            "user_id": trace.user_id,
            "job_id": trace.job_id,
        }

    @staticmethod
    def from_trace(trace: Trace) -> TraceOut:
        return TraceOut(**TraceOut.fields_of(trace))


class SpanOut(Schema):
    span_id: str
    parent_span_id: str = Field(description="Empty for a root step.")
    kind: str = Field(
        description="request, job, queue, retrieval, tool, grader or stage", examples=["retrieval"]
    )
    name: str
    status: str = Field(description="ok, error or cancelled")
    error: str
    started_at: datetime
    duration_ms: float
    attributes: dict[str, Any]

    @staticmethod
    def from_span(span: Span) -> SpanOut:
        return SpanOut.model_validate(span, from_attributes=True)


class CallOut(Schema):
    id: uuid.UUID
    span_id: str
    parent_span_id: str = Field(description="The step it was made in (a span's `span_id`).")
    kind: Literal["generation", "embedding"]
    model: str
    status: str = Field(description="succeeded, failed, incomplete or cancelled")
    error: str
    attempt: int = Field(description="1 for the first attempt; retries and the fallback count up.")
    retry_of: uuid.UUID | None = Field(description="The attempt this one retried.")
    started_at: datetime = Field(description="When the attempt started (its end minus latency).")
    ended_at: datetime
    latency_ms: int | None
    ttft_ms: int | None
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    cost_usd: Decimal | None
    cost_unknown: bool
    prompt_name: str
    prompt_version: str
    bodies: Literal["stored", "not_stored", "pruned"] = Field(
        description="`not_stored`: the workspace keeps no prompts and responses; `pruned`: "
        "removed after LLM_BODY_RETENTION_DAYS. The sizes stay either way."
    )
    request_messages: Any = Field(description="The exact messages sent (redacted), or null.")
    response_text: str | None = Field(description="The text received, or null.")
    request_chars: int | None
    response_chars: int | None

    @staticmethod
    def from_step(step: selectors.Step, call: LLMCall) -> CallOut:
        return CallOut(
            id=call.pk,
            span_id=call.span_id,
            parent_span_id=call.parent_span_id,
            kind=selectors.model_call_kind(call),  # type: ignore[arg-type]
            model=call.model,
            status=call.status,
            error=call.error,
            attempt=call.attempt,
            retry_of=call.retry_of_id,
            started_at=step.started_at,
            ended_at=call.created_at,
            latency_ms=call.latency_ms,
            ttft_ms=call.ttft_ms,
            input_tokens=call.input_tokens,
            cached_tokens=call.cached_tokens,
            output_tokens=call.output_tokens,
            cost_usd=call.cost_usd,
            cost_unknown=call.cost_unknown,
            prompt_name=call.prompt_name,
            prompt_version=call.prompt_version,
            bodies=selectors.bodies_state(call),  # type: ignore[arg-type]
            request_messages=call.request_messages,
            response_text=call.response_text,
            request_chars=call.request_chars,
            response_chars=call.response_chars,
        )


class TraceDetailOut(TraceOut):
    spans: list[SpanOut] = Field(description="Every step but the model attempts, in time order.")
    calls: list[CallOut] = Field(description="Every model attempt, in time order.")
    hidden_steps: int = Field(
        description=f"Steps beyond the first {selectors.MAX_STEPS} in time, not included."
    )


class TraceFilters(Schema):
    feature: str | None = Field(None, max_length=64, description="e.g. chat, ask, evals, api.")
    status: Literal["running", "ok", "error", "cancelled"] | None = None
    since: datetime | None = Field(
        None, description="Traces that started at or after this (ISO 8601; no zone: UTC)."
    )
    until: datetime | None = Field(None, description="Traces that started before this.")

    @field_validator("since", "until", mode="before")
    @classmethod
    def _iso_only(cls, value: Any) -> Any:
        # pydantic would read a bare number as Unix seconds; the schema promises a date-time.
        if isinstance(value, str) and NUMBER.fullmatch(value.strip()):
            raise ValueError("Give an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z.")
        return value


def _in_utc(moment: datetime | None, field: str) -> datetime | None:
    """The moment in UTC (a time without a zone is taken as UTC, what the API answers in).

    Converted here because Postgres refuses offsets beyond ±15:59 that ISO 8601 allows, and a
    moment at the edge of the calendar may have no UTC equivalent: both are a 422, not a 500."""
    if moment is None:
        return None
    if not timezone.is_aware(moment):
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidInput(
            f"`{field}` is outside the calendar once converted to UTC.",
            code="validation_error",
            details=[{"field": f"query.{field}", "message": "Out of range."}],
        ) from exc


@router.get("/traces", response=list[TraceOut], summary="List traces")
@cursor_paginated(order_by="started_at", transform=TraceOut.from_trace)
def list_traces(request: HttpRequest, filters: Query[TraceFilters]) -> Any:
    """Newest first. An owner's or admin's key lists every trace of the workspace; a member's
    key lists the member's own."""
    who = require_scope(request, "read")
    # `since` at or after `until` is an empty range, not an error: it lists nothing.
    since, until = _in_utc(filters.since, "since"), _in_utc(filters.until, "until")
    return selectors.traces_for_user(
        who.user,
        who.workspace,
        feature=filters.feature,
        status=filters.status,
        since=since,
        until=until,
    )


@router.get("/traces/{trace_id}", response=TraceDetailOut, summary="Read a trace")
def get_trace(request: HttpRequest, trace_id: str) -> TraceDetailOut:
    """The trace with its spans and model attempts; each attempt carries the messages sent and
    the text received when the workspace stores them (`bodies`)."""
    who = require_scope(request, "read")
    trace: Trace = selectors.get_trace_for_user(who.user, trace_id, workspace=who.workspace)
    detail = selectors.trace_detail(trace, with_bodies=True)
    steps = {step.call.pk: step for step in detail.steps if step.call is not None}
    return TraceDetailOut(
        **TraceOut.fields_of(trace),
        spans=[SpanOut.from_span(span) for span in detail.spans],
        calls=[CallOut.from_step(steps[c.pk], c) for c in detail.calls if c.pk in steps],
        hidden_steps=detail.hidden_steps,
    )


# --- Usage (GET /usage) -------------------------------------------------------------------------
# Kept apart from the traces routes above it: usage.py computes, these schemas only shape.


class UsageQuery(Schema):
    since: date | None = Field(
        None, description="First UTC day, included (default: the first of this month)."
    )
    until: date | None = Field(None, description="Last UTC day, included (default: today).")
    group_by: Literal["model", "feature", "member"] | None = Field(
        None,
        description="Rows by day × this alone; without it, by day × model × feature × member.",
    )


class UsageNumbersOut(Schema):
    requests: int = Field(description="Model attempts on the ledger (a retry counts again).")
    failed: int
    error_rate: float | None = Field(description="failed / requests; null without requests.")
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    cost_usd: Decimal = Field(description="The priced calls' cost, in dollars.")
    cost_unknown_calls: int = Field(description="Calls whose model has no known price.")
    latency_p50_ms: float | None = Field(
        description="From latency histograms (buckets √2 apart): an estimate within its bucket."
    )
    latency_p95_ms: float | None
    latency_mean_ms: float | None
    ttft_p50_ms: float | None = Field(description="Time to the first streamed token.")
    ttft_p95_ms: float | None


class UsageRowOut(UsageNumbersOut):
    day: date
    model: str | None = Field(description="Null when grouped by something else.")
    feature: str | None
    member_id: uuid.UUID | None = Field(description="Null for calls nobody made (or grouped).")
    member_email: str | None


class BudgetOut(Schema):
    month: date = Field(description="The budget's month (its first day, UTC).")
    budget_usd: Decimal
    spent_usd: Decimal = Field(description="The whole workspace's spend this month.")
    reserved_usd: Decimal = Field(description="Held by work that is still running.")
    remaining_usd: Decimal
    daily_rate_usd: Decimal = Field(description="This month's spend per day so far.")
    runs_out_on: date | None = Field(
        description="At the daily rate, the day the budget runs out; null if not this month."
    )
    reached_on: date | None = Field(description="The day the budget was used up, if it was.")


class UsageReportOut(Schema):
    since: date
    until: date
    group_by: str | None
    scope: Literal["workspace", "member"] = Field(
        description="`member`: the key's owner is a member, so only their own calls are counted."
    )
    rows: list[UsageRowOut]
    totals: UsageNumbersOut
    budget: BudgetOut


def _numbers(numbers: usage.Usage) -> dict[str, Any]:
    return {
        "requests": numbers.requests,
        "failed": numbers.failed,
        "error_rate": numbers.error_rate,
        "input_tokens": numbers.input_tokens,
        "cached_tokens": numbers.cached_tokens,
        "output_tokens": numbers.output_tokens,
        "cost_usd": numbers.cost_usd,
        "cost_unknown_calls": numbers.cost_unknown,
        "latency_p50_ms": numbers.latency_p50_ms,
        "latency_p95_ms": numbers.latency_p95_ms,
        "latency_mean_ms": numbers.latency_mean_ms,
        "ttft_p50_ms": numbers.ttft_p50_ms,
        "ttft_p95_ms": numbers.ttft_p95_ms,
    }


def _period(query: UsageQuery) -> usage.Period:
    this_month = usage.named_period("month")
    period = usage.Period(query.since or this_month.first, query.until or this_month.last)
    if period.last < period.first:
        raise InvalidInput(
            "`until` is before `since`.",
            code="validation_error",
            details=[{"field": "query.until", "message": "Give a day on or after `since`."}],
        )
    if (period.last - period.first).days + 1 > usage.MAX_PERIOD_DAYS:
        raise InvalidInput(
            f"Ask for at most {usage.MAX_PERIOD_DAYS} days at once.",
            code="validation_error",
            details=[{"field": "query.since", "message": "The period is too long."}],
        )
    return period


@router.get(
    "/usage",
    response=UsageReportOut,
    summary="Usage by day × model × feature × member, with totals and the month's budget",
)
def get_usage(request: HttpRequest, query: Query[UsageQuery]) -> dict[str, Any]:
    """Cost, tokens, requests, error rate and latency percentiles of the key's workspace. A key
    whose owner is a member (not an owner or admin) sees that member's calls only."""
    who = require_scope(request, "read")
    period = _period(query)
    member = usage.visible_user(who.user, who.workspace)
    rows = usage.usage_rows(who.workspace, period, user=member, group_by=query.group_by)
    status = quotas.budget_status(who.workspace)
    burn = usage.burn_down(who.workspace)
    return {
        "since": period.first,
        "until": period.last,
        "group_by": query.group_by,
        "scope": "workspace" if member is None else "member",
        "rows": [
            {
                "day": row.day,
                "model": row.model,
                "feature": row.feature,
                "member_id": row.user_id,
                "member_email": row.member or None,
                **_numbers(row.usage),
            }
            for row in rows
        ],
        "totals": _numbers(usage.total_of(row.usage for row in rows)),
        "budget": {
            "month": burn.days[0],
            "budget_usd": status["budget"],
            "spent_usd": status["spent"],
            "reserved_usd": status["reserved"],
            "remaining_usd": status["remaining"],
            "daily_rate_usd": burn.daily_rate.quantize(Decimal("0.000001")),
            "runs_out_on": burn.runs_out_on,
            "reached_on": burn.reached_on,
        },
    }
