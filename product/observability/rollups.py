"""Usage rollups: sum the ledger into `UsageHour` rows an hour at a time on the beat, and each
day's rolled-up hours into its `UsageDay` rows.

Why rollups and not only indexes: a month's charts over a busy workspace (a million ledger rows)
must aggregate every row of the month (latency histograms included), and even an index-only
scan does that work per row, every time the page opens; the rollup does it once. Hours alone
are not enough either: a busy workspace uses most model × feature × member combinations every
hour, so a month is ~250,000 hour rows; its days are ~12,000 (bench/usage_aggregates.py measures
the three; docs/observability.md, Usage, has the numbers).

Each rolled-up hour also sums its day again into `UsageDay` (today's row holds the hours so
far), so the selectors read days up to the watermark and the ledger after it: two reads.

An hour is rolled up once it ended at least `USAGE_ROLLUP_LAG_MINUTES` ago: a job writes its
answering call's row when it ends (the charge and the outcome commit together), so a row can
land minutes after its `created_at`; the lag, longer than a job may run, lets those late rows
arrive first. Rolling up an hour replaces that hour's rows in one transaction (delete, then
insert what the ledger sums to), so re-running it changes nothing. `UsageWatermark` says up to
where hours are rolled up; each run carries on from there, and the selectors read the ledger
after it (usage.py), so nothing is counted twice or missed.

The sums are one INSERT ... SELECT each (the SELECT is the ORM's, the same aggregates the
selectors use on the ledger), so no row passes through Python.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Min, QuerySet, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from product.llm.models import LLMCall
from product.observability.models import UsageDay, UsageHour, UsageWatermark
from product.observability.usage import (
    EXTREME_COLUMNS,
    HISTOGRAM_COLUMNS,
    SCALAR_COLUMNS,
    ledger_sums,
    rollup_sums,
)

logger = logging.getLogger(__name__)
HOUR = timedelta(hours=1)
# Hours one run rolls up at most: the first run after a deploy with a long history catches up
# over a few beats instead of holding a worker for minutes. Reads stay exact meanwhile.
MAX_HOURS_PER_RUN = 72
KEY = ("workspace_id", "model", "feature", "user_id")  # a rollup row's identity in its hour/day
COLUMNS = SCALAR_COLUMNS + EXTREME_COLUMNS + HISTOGRAM_COLUMNS


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def floor_day(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time.min, tzinfo=UTC)


def complete_before(now: datetime | None = None) -> datetime:
    """Hours that start before this instant have ended at least the lag ago."""
    now = now or timezone.now()
    return floor_hour(now - timedelta(minutes=settings.USAGE_ROLLUP_LAG_MINUTES))


def _concrete(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column, f"{name} is not a column"
    return field


def _insert_select(
    model: type[models.Model], source: QuerySet[Any], names: list[str], fixed: dict[str, Any]
) -> int:
    """INSERT INTO model (*fixed, *names) SELECT <fixed values>, *names FROM (source).

    `source` is a values() queryset whose output columns are `names`; `fixed` are constants.
    """
    select, params = source.query.sql_with_params()
    quote = connection.ops.quote_name
    fields = {name: _concrete(model, name) for name in [*fixed, *names]}
    columns = [quote(field.column) for field in fields.values()]
    values = ["%s"] * len(fixed) + [f"grouped.{quote(name)}" for name in names]
    # Every name comes from _meta and is quoted; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM ({select}) grouped"
    )
    # Constants go in as the field would store them (SQLite keeps datetimes as naive UTC text).
    constants = [
        fields[name].get_db_prep_value(value, connection, prepared=False)
        for name, value in fixed.items()
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*constants, *params])
        return int(cursor.rowcount)


def _roll_up_hour(hour: datetime) -> int:
    """Replace the rollup rows of `hour` (every workspace) with what the ledger sums to."""
    UsageHour.objects.filter(hour=hour).delete()
    # Zero, not NULL, for a sum over no values (calls that recorded no latency, or no price).
    sums = {
        name: aggregate
        if name in EXTREME_COLUMNS
        else Coalesce(aggregate, Value(0), output_field=_output_field(name))
        for name, aggregate in ledger_sums().items()
    }
    source = (
        LLMCall.objects.filter(created_at__gte=hour, created_at__lt=hour + HOUR)
        .values(*KEY)
        .annotate(**sums)
        .order_by()
    )
    return _insert_select(UsageHour, source, [*KEY, *COLUMNS], {"hour": hour})


def _output_field(name: str) -> models.Field[Any, Any]:
    return _concrete(UsageHour, name)


def _roll_up_days(since: datetime, until: datetime) -> None:
    """Replace the `UsageDay` rows of every day that [since, until) touches with the sums of
    their rolled-up hours (for the watermark's own day, the hours before it)."""
    first, last = floor_day(since), floor_day(until - timedelta(microseconds=1))
    if until <= since:
        return
    UsageDay.objects.filter(day__gte=first.date(), day__lte=last.date()).delete()
    source = (
        UsageHour.objects.filter(hour__gte=first, hour__lt=last + timedelta(days=1))
        .annotate(day=TruncDate("hour", tzinfo=UTC))
        .values("day", *KEY)
        .annotate(**rollup_sums())
        .order_by()
    )
    _insert_select(UsageDay, source, ["day", *KEY, *COLUMNS], {})


def _locked_watermark() -> UsageWatermark:
    mark, _created = UsageWatermark.objects.select_for_update().get_or_create(pk=1)
    return mark


def _move(mark: UsageWatermark, to: datetime) -> None:
    """Move the watermark, and sum the days of the hours it passed into `UsageDay` again."""
    start = mark.rolled_until
    if start is None:
        first = UsageHour.objects.aggregate(first=Min("hour"))["first"]
        start = first if first is not None else to
    _roll_up_days(start, to)
    mark.rolled_until = to
    mark.save(update_fields=["rolled_until", "updated_at"])


def roll_up_usage(*, now: datetime | None = None, max_hours: int = MAX_HOURS_PER_RUN) -> int:
    """Roll up every complete hour after the watermark (at most `max_hours`). Returns the hours.

    Each hour commits with the watermark's move, under the watermark's row lock, so two runs at
    once take turns and a run killed halfway leaves a watermark that matches the rollups.
    Hours without any ledger row are skipped (a search for the next row, not one query each).
    """
    boundary = complete_before(now)
    rolled = 0
    while rolled < max_hours:
        with transaction.atomic():
            mark = _locked_watermark()
            start = mark.rolled_until
            if start is not None and start >= boundary:
                break
            pending = LLMCall.objects.filter(created_at__lt=boundary)
            if start is not None:
                pending = pending.filter(created_at__gte=start)
            next_call = pending.order_by("created_at").values_list("created_at", flat=True).first()
            if next_call is None:
                # Nothing more before the boundary: the watermark moves up to it. A rollup left
                # in the skipped range (its ledger rows were deleted since) goes.
                if start is not None:
                    UsageHour.objects.filter(hour__gte=start, hour__lt=boundary).delete()
                _move(mark, boundary)
                break
            hour = floor_hour(next_call)
            if start is not None and start < hour:
                UsageHour.objects.filter(hour__gte=start, hour__lt=hour).delete()
            _roll_up_hour(hour)
            _move(mark, hour + HOUR)
        rolled += 1
    if rolled:
        logger.info("usage rollup: %d hour(s), up to %s", rolled, boundary)
    return rolled


def roll_up_all(*, now: datetime | None = None) -> int:
    """Catch up completely (a command, a benchmark): roll_up_usage until nothing is left."""
    total = 0
    while True:
        done = roll_up_usage(now=now)
        total += done
        if done < MAX_HOURS_PER_RUN:
            return total


def rebuild_usage(*, since: datetime, now: datetime | None = None) -> int:
    """Roll up again every hour from the start of `since`'s day (rows that came later than the
    lag, or new histogram buckets): move the watermark back, then catch up. Returns the hours."""
    start = floor_day(since)
    with transaction.atomic():
        mark = _locked_watermark()
        # Never rolled up: the next run starts from the first ledger row anyway.
        if mark.rolled_until is not None and mark.rolled_until > start:
            UsageHour.objects.filter(hour__gte=start).delete()
            UsageDay.objects.filter(day__gte=start.date()).delete()
            mark.rolled_until = start
            mark.save(update_fields=["rolled_until", "updated_at"])
    return roll_up_all(now=now)
