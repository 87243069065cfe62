"""Usage numbers: percentiles read off merged histograms land in the true value's bucket, and the
month's burn-down forecasts the day the budget runs out (or says it will not this month)."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from product.accounts.models import User, Workspace
from product.llm.models import WorkspaceBudget
from product.llm.tests.factories import LLMCallFactory
from product.observability import histograms, rollups, usage


def nearest_rank(values: list[int], quantile: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(quantile * len(ordered) - 1e-9)) - 1]


def within_its_bucket(estimate: float | None, true_value: int) -> bool:
    low, high = histograms.bucket_range(histograms.bucket_of(true_value))
    return estimate is not None and low <= estimate <= (high if high is not None else low)


@pytest.mark.parametrize("seed", range(5))
def test_percentiles_of_merged_histograms_are_within_the_bucket_of_the_true_value(
    seed: int,
) -> None:
    rng = random.Random(seed)
    # Model latencies: log-normal around a second, plus a slow tail.
    values = [int(rng.lognormvariate(7, 0.6)) + (rng.random() < 0.05) * 20_000 for _ in range(997)]
    parts = [values[i::7] for i in range(7)]  # seven hours' histograms, merged by adding
    merged = [0] * histograms.BUCKETS
    for part in parts:
        for value in part:
            merged[histograms.bucket_of(value)] += 1
    for quantile in (0.5, 0.95, 0.99):
        estimate = histograms.percentile(merged, quantile)
        true_value = nearest_rank(values, quantile)
        assert within_its_bucket(estimate, true_value), (quantile, estimate, true_value)
        assert estimate is not None and abs(estimate - true_value) <= true_value * (2**0.5 - 1)


def test_the_smallest_and_largest_values_bound_the_estimate() -> None:
    counts = [0] * histograms.BUCKETS
    counts[histograms.bucket_of(82)] = 1
    assert histograms.percentile(counts, 0.5) != 82, "alone, the bucket's middle"
    assert histograms.percentile(counts, 0.5, 82, 82) == 82, "one call: its own latency"
    top = [0] * histograms.BUCKETS
    top[-1] = 2
    assert histograms.percentile(top, 0.95) == histograms.BOUNDS_MS[-1]
    # The open bucket ends at the largest value: rank 2 of 2 sits three quarters up it.
    low = histograms.BOUNDS_MS[-1]
    assert histograms.percentile(top, 0.95, 700_000, 900_000) == low + 0.75 * (900_000 - low)


def test_the_buckets_cover_zero_to_over_ten_minutes_about_root_two_apart() -> None:
    assert histograms.bucket_range(0) == (0, 10)
    assert histograms.bucket_range(histograms.BUCKETS - 1)[1] is None
    assert histograms.BOUNDS_MS[-1] > 10 * 60_000
    ratios = [b / a for a, b in zip(histograms.BOUNDS_MS, histograms.BOUNDS_MS[1:], strict=False)]
    assert all(1.38 < ratio < 1.45 for ratio in ratios)
    assert histograms.percentile([0] * histograms.BUCKETS, 0.5) is None


@pytest.mark.django_db
def test_percentiles_are_the_same_from_rollups_and_from_the_ledger(acme: Workspace) -> None:
    rng = random.Random(3)
    start = datetime(2025, 3, 3, 8, tzinfo=UTC)
    latencies = [rng.randrange(50, 9000) for _ in range(60)]
    for n, latency in enumerate(latencies):
        LLMCallFactory(
            workspace=acme, created_at=start + timedelta(minutes=5 * n), latency_ms=latency
        )
    period = usage.Period(date(2025, 3, 3), date(2025, 3, 3))
    live = usage.usage_by(acme, period, ("day",))[(date(2025, 3, 3),)]
    rollups.roll_up_usage(now=datetime(2025, 3, 4, tzinfo=UTC))
    rolled = usage.usage_by(acme, period, ("day",))[(date(2025, 3, 3),)]
    assert rolled == live
    assert within_its_bucket(rolled.latency_p95_ms, nearest_rank(latencies, 0.95))
    assert rolled.latency_mean_ms == pytest.approx(sum(latencies) / len(latencies))


def spend(workspace: Workspace, day: date, amount: str) -> None:
    LLMCallFactory(
        workspace=workspace,
        created_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        cost_usd=Decimal(amount),
    )


@pytest.mark.django_db
def test_the_burn_down_forecasts_the_day_the_budget_runs_out(acme: Workspace) -> None:
    WorkspaceBudget.objects.create(workspace=acme, monthly_budget_usd=Decimal("10.00"))
    for day in range(1, 11):
        spend(acme, date(2025, 4, day), "0.60")
    now = datetime(2025, 4, 11, 0, tzinfo=UTC)  # ten whole days at $0.60: $6 spent, $4 to go
    burn = usage.burn_down(acme, now=now)
    assert burn.spent == Decimal("6.00")
    assert burn.daily_rate == Decimal("0.6")
    assert burn.runs_out_on == date(2025, 4, 17)  # 4 / 0.6 = 6.7 days after the 11th began
    assert burn.reached_on is None
    assert burn.outlook == "Runs out around 17 April"
    assert len(burn.days) == 30
    assert burn.cumulative[9] == Decimal("6.00") and burn.cumulative[11] is None
    assert burn.forecast[9] is None
    assert burn.forecast[10] == Decimal("6.00")
    assert burn.forecast[29] == Decimal("6.00") + Decimal("0.6") * 19


@pytest.mark.django_db
def test_the_burn_down_says_not_this_month_at_a_slow_rate_or_none(acme: Workspace) -> None:
    spend(acme, date(2025, 4, 2), "0.50")
    burn = usage.burn_down(acme, now=datetime(2025, 4, 20, tzinfo=UTC))
    assert burn.runs_out_on is None and burn.reached_on is None
    assert burn.outlook == "Not this month"
    idle = usage.burn_down(acme, now=datetime(2025, 5, 3, tzinfo=UTC))
    assert idle.spent == 0 and idle.daily_rate == 0 and idle.outlook == "Not this month"


@pytest.mark.django_db
def test_the_burn_down_at_a_tiny_rate_says_not_this_month_rather_than_overflowing(
    acme: Workspace,
) -> None:
    # The dev model's price: a few millionths of a dollar, against the default budget, would
    # last millions of years, past the last date Python can hold.
    spend(acme, date(2025, 4, 1), "0.000002")
    burn = usage.burn_down(acme, now=datetime(2025, 4, 3, 12, tzinfo=UTC))
    assert burn.daily_rate > 0
    assert burn.runs_out_on is None and burn.outlook == "Not this month"


@pytest.mark.django_db
def test_the_burn_down_says_when_the_budget_was_used_up(acme: Workspace, bob: User) -> None:
    WorkspaceBudget.objects.create(workspace=acme, monthly_budget_usd=Decimal("1.00"))
    spend(acme, date(2025, 4, 1), "0.40")
    spend(acme, date(2025, 4, 3), "0.70")
    burn = usage.burn_down(acme, now=datetime(2025, 4, 5, 9, tzinfo=UTC))
    assert burn.reached_on == date(2025, 4, 3)
    assert burn.outlook == "Reached on 3 April"


@pytest.mark.django_db
def test_members_see_their_own_usage_owners_and_admins_everyone(
    acme: Workspace, alice: User, bob: User, charlie: User
) -> None:
    assert usage.visible_user(alice, acme) is None
    assert usage.visible_user(bob, acme) == bob
    assert usage.visible_user(charlie, acme) == charlie, "an outsider matches none of the rows"
