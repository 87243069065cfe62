"""Quotas: input cap, requests per minute, and a monthly budget that concurrency cannot overshoot."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from product.accounts.models import User, Workspace
from product.llm import quotas, tokens
from product.llm.errors import InputTooLarge, QuotaExceeded
from product.llm.models import BudgetReservation, LLMCall, WorkspaceBudget

HELLO = [{"role": "user", "content": "hello"}]


def reserve(alice: User, acme: Workspace, **kwargs: Any) -> BudgetReservation:
    return quotas.reserve(workspace=acme, user=alice, feature="test", messages=HELLO, **kwargs)


def test_it_reserves_the_worst_case_cost(alice: User, acme: Workspace, settings: Any) -> None:
    settings.LLM_CATALOG = {
        "m": {"context_window": 100000, "input": "1000000", "output": "1000000"}
    }
    settings.LLM_WORKSPACE_MONTHLY_BUDGET_USD = Decimal("1000")
    reservation = reserve(alice, acme, model="m", max_tokens=100)
    # 1 USD per token: the prompt's estimate (tokens.py: 9 tokens, 8 exactly) plus all 100 output
    # tokens.
    assert reservation.estimated_usd == Decimal("109")
    assert reservation.status == BudgetReservation.Status.RESERVED


def test_it_refuses_input_over_the_cap(alice: User, acme: Workspace, settings: Any) -> None:
    settings.LLM_MAX_INPUT_TOKENS = 20
    with pytest.raises(InputTooLarge) as caught:
        quotas.reserve(
            workspace=acme,
            user=alice,
            feature="t",
            messages=[{"role": "user", "content": "a " * 50}],
        )
    assert "limit is 20" in caught.value.message
    assert not BudgetReservation.objects.exists()


def test_it_checks_a_short_prompt_without_the_tokenizer(settings: Any) -> None:
    tokens._encoding.cache_clear()
    assert quotas.check_input(messages=HELLO, model=settings.LLM_MODEL) == 9
    assert not tokens.tokenizer_loaded()


def test_it_counts_exactly_a_prompt_the_estimate_puts_over_the_cap(settings: Any) -> None:
    messages = [{"role": "user", "content": "The quick brown fox jumps over the lazy dog. " * 40}]
    exact = tokens.count_message_tokens(messages)
    assert tokens.estimate_message_tokens(messages) > exact
    settings.LLM_MAX_INPUT_TOKENS = exact  # over by the estimate, within by the count
    assert quotas.check_input(messages=messages, model=settings.LLM_MODEL) == exact
    settings.LLM_MAX_INPUT_TOKENS = exact - 1
    with pytest.raises(InputTooLarge, match=f"about {exact} tokens"):
        quotas.check_input(messages=messages, model=settings.LLM_MODEL)


def test_it_refuses_input_that_cannot_fit_the_context_window(
    alice: User, acme: Workspace, settings: Any
) -> None:
    settings.LLM_CATALOG = {"small": {"context_window": 100, "input": "1", "output": "1"}}
    with pytest.raises(InputTooLarge):
        reserve(alice, acme, model="small", max_tokens=95)


def test_it_limits_requests_per_minute(
    alice: User, bob: User, acme: Workspace, settings: Any
) -> None:
    settings.LLM_USER_REQUESTS_PER_MINUTE = 3
    for _ in range(3):
        reserve(alice, acme)
    with pytest.raises(QuotaExceeded) as caught:
        reserve(alice, acme)
    assert caught.value.code == "rate_limited"
    assert caught.value.retry_after is not None and 1 <= caught.value.retry_after <= 60
    # The limit is per user: Bob still gets through.
    quotas.reserve(workspace=acme, user=bob, feature="test", messages=HELLO)


def test_it_refuses_a_reservation_over_the_monthly_budget(
    alice: User, acme: Workspace, settings: Any
) -> None:
    settings.LLM_WORKSPACE_MONTHLY_BUDGET_USD = Decimal("1.00")
    LLMCall.objects.create(
        workspace=acme, feature="t", model="m", status="succeeded", cost_usd=Decimal("1.00")
    )
    with pytest.raises(QuotaExceeded) as caught:
        reserve(alice, acme)
    assert caught.value.code == "budget_exceeded"
    assert caught.value.retry_after is not None and caught.value.retry_after > 0
    assert "budget" in caught.value.message


def test_it_counts_only_this_months_spend_and_the_workspaces_own_budget(
    alice: User, acme: Workspace, charlie: User, settings: Any
) -> None:
    settings.LLM_CATALOG = {"m": {"context_window": 100000, "input": "0", "output": "1000000"}}
    settings.LLM_WORKSPACE_MONTHLY_BUDGET_USD = Decimal("100")
    WorkspaceBudget.objects.create(workspace=acme, monthly_budget_usd=Decimal("3.00"))
    last_month = quotas.month_start() - timedelta(seconds=1)
    LLMCall.objects.create(
        workspace=acme,
        feature="t",
        model="m",
        status="succeeded",
        cost_usd=Decimal("50"),
        created_at=last_month,
    )
    LLMCall.objects.create(
        workspace=acme, feature="t", model="m", status="succeeded", cost_usd=Decimal("1.50")
    )
    # Another workspace's spend is not Acme's.
    other = Workspace.objects.get(name="Charlie's corner")
    LLMCall.objects.create(
        workspace=other, feature="t", model="m", status="succeeded", cost_usd=Decimal("70")
    )
    reserve(alice, acme, model="m", max_tokens=1)  # 1.50 + 1 <= 3: last month's 50 is gone
    with pytest.raises(QuotaExceeded):
        reserve(alice, acme, model="m", max_tokens=1)  # 1.50 + 1 held + 1 > 3


def test_it_counts_open_reservations_and_frees_released_ones(
    alice: User, acme: Workspace, settings: Any
) -> None:
    settings.LLM_CATALOG = {"m": {"context_window": 100000, "input": "0", "output": "1000000"}}
    WorkspaceBudget.objects.create(workspace=acme, monthly_budget_usd=Decimal("25"))
    first = reserve(alice, acme, model="m", max_tokens=10)
    second = reserve(alice, acme, model="m", max_tokens=10)
    with pytest.raises(QuotaExceeded):
        reserve(alice, acme, model="m", max_tokens=10)
    quotas.release(first)
    assert first.status == BudgetReservation.Status.RELEASED
    reserve(alice, acme, model="m", max_tokens=10)
    quotas.settle(second, Decimal("2"))
    status = quotas.budget_status(acme)
    assert status["budget"] == Decimal("25") and status["reserved"] == Decimal("10")
    assert status["remaining"] == Decimal("15")


def test_it_reports_month_spend(acme: Workspace) -> None:
    LLMCall.objects.create(
        workspace=acme, feature="t", model="m", status="succeeded", cost_usd=Decimal("0.5")
    )
    LLMCall.objects.create(workspace=acme, feature="t", model="m", status="failed", cost_usd=None)
    assert quotas.month_spend(acme) == Decimal("0.5")


@pytest.mark.django_db(transaction=True)
def test_it_never_overshoots_the_budget_with_20_concurrent_reservations(
    alice: User, acme: Workspace, settings: Any
) -> None:
    # Each reservation holds 1 USD of a 7.50 USD budget: exactly 7 may pass, whatever the timing.
    settings.LLM_CATALOG = {"m": {"context_window": 100000, "input": "0", "output": "1000000"}}
    settings.LLM_WORKSPACE_MONTHLY_BUDGET_USD = Decimal("7.50")
    settings.LLM_USER_REQUESTS_PER_MINUTE = 1000
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            barrier.wait()
            reserve(alice, acme, model="m", max_tokens=1)
            outcome = "reserved"
        except QuotaExceeded:
            outcome = "refused"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("reserved") == 7 and outcomes.count("refused") == 13
    assert quotas.reserved_spend(acme) == Decimal("7")
