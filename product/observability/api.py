"""Traces and usage over the API."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from product.apikeys.auth import require_scope
from product.core.errors import InvalidInput
from product.llm import quotas
from product.observability import usage

router = Router(tags=["observability"])


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
