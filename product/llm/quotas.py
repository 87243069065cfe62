"""Quotas, checked before a job is accepted: input size, requests per minute, monthly budget.

The budget is held with reservations: accepting a job reserves its worst-case cost (full input,
`max_tokens` of output); the gateway settles the reservation with the actual cost after the call,
or releases it when nothing was charged. The check and the insert run under a lock on the
workspace row, so concurrent requests queue up and cannot overshoot the budget together.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.core.money import format_usd
from product.core.resilience import quietly
from product.llm.catalog import cost_usd, get_model
from product.llm.errors import InputTooLarge, QuotaExceeded
from product.llm.models import BudgetReservation, LLMCall, WorkspaceBudget
from product.llm.tokens import count_message_tokens, estimate_message_tokens

ZERO = Decimal("0")


def month_start(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month_start(now: datetime) -> datetime:
    start = month_start(now)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def check_input(
    *, messages: Sequence[Mapping[str, Any]], model: str, max_tokens: int | None = None
) -> int:
    """Refuse a prompt that is over the cap or cannot fit the model's window. Returns its tokens:
    the estimate (tokens.py), or the exact count when the estimate is over a limit."""
    output = max_tokens if max_tokens is not None else settings.LLM_MAX_OUTPUT_TOKENS
    window = get_model(model).context_window
    tokens = estimate_message_tokens(messages)
    if tokens > settings.LLM_MAX_INPUT_TOKENS or tokens + output > window:
        # The estimate is an upper bound: only a prompt it puts over a limit is counted exactly.
        tokens = count_message_tokens(messages)
    if tokens > settings.LLM_MAX_INPUT_TOKENS or tokens + output > window:
        limit = min(settings.LLM_MAX_INPUT_TOKENS, max(window - output, 0))
        raise InputTooLarge(
            f"The text is too long for the AI model: about {tokens} tokens, the limit is {limit}. "
            "Please shorten it."
        )
    return tokens


def _count(key: str) -> int:
    # incr() first: the window's key exists for all but its first request, so most sends cost
    # one incr (EXISTS + INCR on Redis; a read and a write on the embedded database cache) and
    # not an add as well. incr is atomic on Redis: concurrent requests get distinct counts.
    try:
        return int(cache.incr(key))
    except ValueError:  # the window's first request (or its key just expired)
        if cache.add(key, 1, timeout=120):
            return 1
    try:
        return int(cache.incr(key))  # another request started the window meanwhile
    except ValueError:  # ...and it expired at once: count this one as its first
        return 1


def _check_rate(user: User) -> None:
    limit = settings.LLM_USER_REQUESTS_PER_MINUTE
    if limit <= 0:
        return
    now = time.time()
    window = int(now // 60)
    key = f"llm:rpm:{user.pk}:{window}"
    # Without Redis the request is not counted (fail open): the budget, which is in the
    # database, still holds; this per-minute limit is only fairness.
    count = quietly("llm rate limit", lambda: _count(key), 0)
    if count > limit:
        retry_after = max(1, math.ceil((window + 1) * 60 - now))
        raise QuotaExceeded(
            f"You have sent too many AI requests this minute (limit {limit}). "
            f"Please try again in {retry_after} seconds.",
            code="rate_limited",
            retry_after=retry_after,
        )


def monthly_budget(workspace: Workspace) -> Decimal:
    override = WorkspaceBudget.objects.filter(workspace=workspace).first()
    if override is not None:
        return override.monthly_budget_usd
    return Decimal(settings.LLM_WORKSPACE_MONTHLY_BUDGET_USD)


def month_spend(workspace: Workspace) -> Decimal:
    total = LLMCall.objects.filter(workspace=workspace, created_at__gte=month_start()).aggregate(
        total=Sum("cost_usd")
    )["total"]
    return total if total is not None else ZERO


def reserved_spend(workspace: Workspace) -> Decimal:
    total = BudgetReservation.objects.filter(
        workspace=workspace, status=BudgetReservation.Status.RESERVED
    ).aggregate(total=Sum("estimated_usd"))["total"]
    return total if total is not None else ZERO


def _budget_and_committed(workspace: Workspace, now: datetime) -> tuple[Decimal, Decimal]:
    """The month's budget, and its spend plus what open reservations hold: one query.

    (month_spend + reserved_spend + monthly_budget, as three subqueries of one statement; the
    reservation path runs it under the workspace lock, so each round trip saved is lock time.)"""
    # Sums of the ledger's 6-decimal amounts may need more digits than one row's column.
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=6)
    spent = (
        LLMCall.objects.filter(workspace=OuterRef("pk"), created_at__gte=month_start(now))
        .order_by()
        .values("workspace")
        .annotate(total=Sum("cost_usd"))
        .values("total")
    )
    reserved = (
        BudgetReservation.objects.filter(
            workspace=OuterRef("pk"), status=BudgetReservation.Status.RESERVED
        )
        .order_by()
        .values("workspace")
        .annotate(total=Sum("estimated_usd"))
        .values("total")
    )
    override = WorkspaceBudget.objects.filter(workspace=OuterRef("pk")).values(
        "monthly_budget_usd"
    )[:1]
    row = (
        Workspace.objects.filter(pk=workspace.pk)
        .annotate(
            spent=Subquery(spent, output_field=money),
            reserved=Subquery(reserved, output_field=money),
            override=Subquery(
                override, output_field=WorkspaceBudget._meta.get_field("monthly_budget_usd")
            ),
        )
        .values("spent", "reserved", "override")
        .get()
    )
    budget = row["override"]
    if budget is None:
        budget = Decimal(settings.LLM_WORKSPACE_MONTHLY_BUDGET_USD)
    return Decimal(budget), Decimal(row["spent"] or ZERO) + Decimal(row["reserved"] or ZERO)


def budget_status(workspace: Workspace) -> dict[str, Decimal]:
    """For the UI: this month's spend, what open jobs hold, the budget and what is left."""
    spent = month_spend(workspace)
    reserved = reserved_spend(workspace)
    budget = monthly_budget(workspace)
    return {
        "spent": spent,
        "reserved": reserved,
        "budget": budget,
        "remaining": max(budget - spent - reserved, ZERO),
    }


def estimate_usd(*, model: str, input_tokens: int, output_tokens: int) -> Decimal:
    """Worst case over the model and its fallback; an unpriced model estimates 0 (flagged later)."""
    models = [model]
    if settings.LLM_FALLBACK_MODEL and model != settings.LLM_FALLBACK_MODEL:
        models.append(settings.LLM_FALLBACK_MODEL)
    costs = [cost_usd(name, input_tokens, 0, output_tokens) for name in models]
    return max((cost for cost in costs if cost is not None), default=ZERO)


def _lock_within_budget(workspace: Workspace, estimate: Decimal) -> datetime:
    """Lock the workspace's reservations and refuse `estimate` if it would pass the month's budget;
    inside the caller's transaction, so the check and the caller's write are one step. Returns now.

    (SQLite ignores FOR UPDATE; its IMMEDIATE transactions, see settings, serialise writers.)"""
    Workspace.objects.select_for_update().only("pk").get(pk=workspace.pk)
    now = timezone.now()
    # A statement of its own after the lock: in READ COMMITTED it sees what every earlier
    # holder committed (a subquery of the locking statement would read its older snapshot).
    budget, committed = _budget_and_committed(workspace, now)
    if committed + estimate > budget:
        retry_after = int((_next_month_start(now) - now).total_seconds()) + 1
        raise QuotaExceeded(
            f"This workspace has used its AI budget for the month ({format_usd(budget)}). "
            "It resets on the first of next month; an owner can raise it.",
            code="budget_exceeded",
            retry_after=retry_after,
        )
    return now


def reserve(
    *,
    workspace: Workspace,
    user: User | None,
    feature: str,
    messages: Sequence[Mapping[str, Any]],
    model: str | None = None,
    max_tokens: int | None = None,
    check_size: bool = True,
    job_id: uuid.UUID | None = None,
) -> BudgetReservation:
    """Check every quota and hold the call's worst-case cost; raises before any model call.

    `job_id`: the job the reservation is held for, when the gateway takes one inside a job."""
    model = model or settings.LLM_MODEL
    output_tokens = max_tokens if max_tokens is not None else settings.LLM_MAX_OUTPUT_TOKENS
    if check_size:
        input_tokens = check_input(messages=messages, model=model, max_tokens=output_tokens)
    else:
        input_tokens = estimate_message_tokens(messages)
    if user is not None:
        _check_rate(user)
    estimate = estimate_usd(model=model, input_tokens=input_tokens, output_tokens=output_tokens)
    with transaction.atomic():
        now = _lock_within_budget(workspace, estimate)
        return BudgetReservation.objects.create(
            workspace=workspace,
            user=user,
            feature=feature,
            estimated_usd=estimate,
            created_at=now,
            job_id=job_id,
        )


def extend(
    reservation: BudgetReservation,
    *,
    messages: Sequence[Mapping[str, Any]],
    model: str,
    max_tokens: int,
) -> None:
    """Hold the worst case of one more call on an open reservation (a structured answer's repair
    attempt), with the same checks as `reserve`: the budget under the workspace lock, the input size.

    No rate-limit count: it is the same request, not a new one. Settled or released with the rest.
    """
    input_tokens = check_input(messages=messages, model=model, max_tokens=max_tokens)
    extra = estimate_usd(model=model, input_tokens=input_tokens, output_tokens=max_tokens)
    workspace = reservation.workspace
    with transaction.atomic():
        _lock_within_budget(workspace, extra)
        BudgetReservation.objects.filter(
            pk=reservation.pk, status=BudgetReservation.Status.RESERVED
        ).update(estimated_usd=F("estimated_usd") + extra)
    reservation.refresh_from_db(fields=["estimated_usd"])


def settle(reservation: BudgetReservation, actual_usd: Decimal | None) -> None:
    """The call was charged: replace the estimate with what the ledger says (None: unknown price)."""
    BudgetReservation.objects.filter(
        pk=reservation.pk, status=BudgetReservation.Status.RESERVED
    ).update(
        status=BudgetReservation.Status.SETTLED, actual_usd=actual_usd, settled_at=timezone.now()
    )
    reservation.refresh_from_db(fields=["status", "actual_usd", "settled_at"])


def release(reservation: BudgetReservation) -> None:
    """Nothing was charged (job cancelled or failed before any call): free the estimate."""
    BudgetReservation.objects.filter(
        pk=reservation.pk, status=BudgetReservation.Status.RESERVED
    ).update(status=BudgetReservation.Status.RELEASED, settled_at=timezone.now())
    reservation.refresh_from_db(fields=["status", "actual_usd", "settled_at"])
