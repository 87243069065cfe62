"""Usage rollups: rolled-up hours plus the live ledger give exactly what the raw ledger says, a
second run changes nothing, rows that arrive within the lag are counted, and the beat runs it."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from product.accounts.models import User, Workspace
from product.llm.models import LLMCall
from product.llm.tests.factories import LLMCallFactory
from product.observability import histograms, rollups, tasks, usage
from product.observability.models import UsageDay, UsageHour, UsageWatermark
from worker.celery import app

# A fixed "now" in the middle of a day, so a test's hours are the same on any day it runs.
NOW = datetime(2025, 3, 12, 15, 40, tzinfo=UTC)
PERIOD = usage.Period(date(2025, 3, 1), date(2025, 3, 31))


def expected(calls: Sequence[LLMCall], dims: Sequence[str]) -> dict[tuple[Any, ...], usage.Usage]:
    """What the usage of `calls` is, counted in Python one row at a time (the reference)."""
    found: dict[tuple[Any, ...], usage.Usage] = {}
    for call in calls:
        values = {
            "day": call.created_at.astimezone(UTC).date(),
            "model": call.model,
            "feature": call.feature,
            "user": call.user_id,
        }
        entry = found.setdefault(tuple(values[d] for d in dims), usage.Usage())
        entry.requests += 1
        entry.failed += call.status == LLMCall.Status.FAILED
        entry.input_tokens += call.input_tokens
        entry.cached_tokens += call.cached_tokens
        entry.output_tokens += call.output_tokens
        entry.cost_usd += call.cost_usd or Decimal(0)
        entry.cost_unknown += call.cost_unknown
        if call.latency_ms is not None:
            entry.latency_count += 1
            entry.latency_sum_ms += call.latency_ms
            entry.latency_histogram[histograms.bucket_of(call.latency_ms)] += 1
            entry.latency_min_ms = min(entry.latency_min_ms or call.latency_ms, call.latency_ms)
            entry.latency_max_ms = max(entry.latency_max_ms or 0, call.latency_ms)
        if call.ttft_ms is not None:
            entry.ttft_count += 1
            entry.ttft_sum_ms += call.ttft_ms
            entry.ttft_histogram[histograms.bucket_of(call.ttft_ms)] += 1
            entry.ttft_min_ms = min(entry.ttft_min_ms or call.ttft_ms, call.ttft_ms)
            entry.ttft_max_ms = max(entry.ttft_max_ms or 0, call.ttft_ms)
    return found


def scatter_calls(
    workspace: Workspace,
    people: Sequence[User | None],
    count: int,
    hours: int = 10,
    now: datetime = NOW,
) -> list[LLMCall]:
    """Calls over the `hours` before `now` (some in an hour not complete yet), of every kind."""
    rng = random.Random(12)
    calls: list[LLMCall] = []
    for _ in range(count):
        unknown = rng.random() < 0.1
        calls.append(
            LLMCallFactory(
                workspace=workspace,
                user=rng.choice(people),
                model=rng.choice(["keel-dev-small", "keel-dev-large"]),
                feature=rng.choice(["ask", "chat", "knowledge"]),
                created_at=now - timedelta(minutes=rng.randrange(0, hours * 60)),
                input_tokens=rng.randrange(1, 5000),
                cached_tokens=rng.randrange(0, 100),
                output_tokens=rng.randrange(0, 800),
                latency_ms=None if rng.random() < 0.1 else rng.randrange(5, 30_000),
                ttft_ms=None if rng.random() < 0.3 else rng.randrange(5, 3_000),
                cost_usd=None if unknown else Decimal(rng.randrange(1, 5000)) / 1_000_000,
                cost_unknown=unknown,
                status=rng.choice([*["succeeded"] * 6, "failed", "incomplete", "cancelled"]),
            )
        )
    return calls


@pytest.fixture(autouse=True)
def fifteen_minutes_lag(settings: Any) -> None:
    settings.USAGE_ROLLUP_LAG_MINUTES = 15


@pytest.mark.django_db
def test_rolled_up_hours_plus_the_live_ledger_are_the_raw_numbers(
    acme: Workspace, alice: User, bob: User
) -> None:
    # Eight hours to 03:40: the 11th's evening and the 12th until 03:00 are rolled up (read by
    # day from UsageDay, the 12th's row holding its hours so far), 03:00 on is read from the
    # ledger (the lag is not over).
    now = datetime(2025, 3, 12, 3, 40, tzinfo=UTC)
    calls = scatter_calls(acme, [alice, bob, None], 300, hours=8, now=now)
    hours = rollups.roll_up_usage(now=now)
    boundary = datetime(2025, 3, 12, 3, tzinfo=UTC)  # 03:40 less the lag is 03:25
    assert rollups.complete_before(now) == boundary
    assert UsageWatermark.objects.get().rolled_until == boundary
    assert 0 < hours <= 8
    assert set(UsageDay.objects.values_list("day", flat=True)) == {date(2025, 3, 11), NOW.date()}
    assert sum(UsageDay.objects.values_list("requests", flat=True)) == sum(
        UsageHour.objects.values_list("requests", flat=True)
    )
    assert not UsageHour.objects.filter(hour__gte=boundary).exists(), "incomplete hours wait"
    assert LLMCall.objects.filter(created_at__gte=boundary).exists(), "some calls are live"
    for dims in [usage.ALL_DIMENSIONS, ("day",), ("day", "model"), ("user",)]:
        assert usage.usage_by(acme, PERIOD, dims) == expected(calls, dims), dims
    mine = [call for call in calls if call.user_id == bob.pk]
    assert usage.usage_by(acme, PERIOD, ("day",), user=bob) == expected(mine, ("day",))


@pytest.mark.django_db
def test_rolling_up_again_changes_nothing(acme: Workspace, alice: User) -> None:
    # Just after midnight: the 11th's last hours and the 12th's first one.
    now = datetime(2025, 3, 12, 1, 40, tzinfo=UTC)
    calls = scatter_calls(acme, [alice], 60, hours=5, now=now)
    rollups.roll_up_usage(now=now)
    before = sorted(UsageHour.objects.values_list("hour", "model", "feature", "requests"))
    assert rollups.roll_up_usage(now=now) == 0, "no new complete hour: nothing to do"
    days_before = sorted(UsageDay.objects.values_list("day", "model", "feature", "requests"))
    assert days_before, "each rolled-up hour's day is summed from its hours"
    rollups.rebuild_usage(since=now - timedelta(days=1), now=now)  # every hour again
    assert sorted(UsageDay.objects.values_list("day", "model", "feature", "requests")) == (
        days_before
    )
    after = sorted(UsageHour.objects.values_list("hour", "model", "feature", "requests"))
    assert after == before
    assert usage.usage_by(acme, PERIOD, ("day",)) == expected(calls, ("day",))


@pytest.mark.django_db
def test_a_row_that_lands_within_the_lag_is_counted(acme: Workspace, alice: User) -> None:
    hour = datetime(2025, 3, 12, 14, tzinfo=UTC)
    LLMCallFactory(workspace=acme, user=alice, created_at=hour + timedelta(minutes=50))
    lag = timedelta(minutes=settings.USAGE_ROLLUP_LAG_MINUTES)
    # The hour ended, but not the lag ago: it is not rolled up, the ledger still answers for it.
    rollups.roll_up_usage(now=hour + timedelta(hours=1) + lag - timedelta(minutes=1))
    assert not UsageHour.objects.filter(hour=hour).exists()
    # A job that ran across the hour's end writes its row late, with the attempt's time.
    LLMCallFactory(workspace=acme, user=alice, created_at=hour + timedelta(minutes=59))
    assert usage.usage_by(acme, PERIOD, ("day",))[(hour.date(),)].requests == 2
    rollups.roll_up_usage(now=hour + timedelta(hours=1) + lag)
    rolled = UsageHour.objects.get(hour=hour)
    assert rolled.requests == 2
    assert usage.usage_by(acme, PERIOD, ("day",))[(hour.date(),)].requests == 2


@pytest.mark.django_db
def test_it_skips_empty_hours_and_a_first_run_starts_at_the_first_call(acme: Workspace) -> None:
    LLMCallFactory(workspace=acme, created_at=datetime(2025, 1, 5, 9, 30, tzinfo=UTC))
    LLMCallFactory(workspace=acme, created_at=datetime(2025, 3, 10, 9, 30, tzinfo=UTC))
    assert rollups.roll_up_usage(now=NOW) == 2, "two hours with calls, not two months of hours"
    assert UsageHour.objects.count() == 2
    assert UsageWatermark.objects.get().rolled_until == rollups.complete_before(NOW)


@pytest.mark.django_db
def test_a_rebuild_counts_rows_that_came_later_than_the_lag(acme: Workspace) -> None:
    rollups.roll_up_usage(now=NOW)
    late = LLMCallFactory(workspace=acme, created_at=datetime(2025, 3, 10, 9, 30, tzinfo=UTC))
    rollups.roll_up_usage(now=NOW)
    assert not UsageHour.objects.exists(), "behind the watermark: the beat does not see it"
    call_command("rollup_usage", "--rebuild-since", "2025-03-10", stdout=StringIO())
    assert UsageHour.objects.get().requests == 1
    assert usage.usage_by(acme, PERIOD, ("day",))[(late.created_at.date(),)].requests == 1


def test_the_lag_is_longer_than_a_job_may_run() -> None:
    # A job writes its answering call's row when it ends, with the attempt's time: the lag must
    # outlast the longest job, or that row could land in an hour already rolled up.
    assert settings.USAGE_ROLLUP_LAG_MINUTES * 60 > settings.JOB_TIME_LIMIT_S


def test_the_beat_rolls_up_usage_on_the_default_queue() -> None:
    entry = app.conf.beat_schedule["roll-up-usage"]
    assert entry["task"] == tasks.roll_up_usage.name == "observability.roll_up_usage"
    assert entry["schedule"] <= 3600, "hours complete once an hour: run at least that often"
    assert app.conf.task_routes[entry["task"]] == {"queue": "default"}
    assert entry["task"] in app.tasks
