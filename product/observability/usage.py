"""Usage selectors: spend, tokens, requests, latency and errors of a workspace, by day × model ×
feature × member, and the month's budget burn-down.

Every number comes from the ledger (`LLMCall`, one row per model attempt), read two ways that
add up to the same thing: hours before the rollup watermark from `UsageHour` (rollups.py sums
each hour once, and each day from its hours), the rest straight from the ledger. A month's chart therefore reads a few
thousand rollup rows and a few hours of ledger rows, and still counts a call made a second ago.
Both reads compute the same columns (`LEDGER_SUMS` for the ledger, a SUM of each for rollups),
so which path an hour takes changes nothing in the result.

Days are UTC days, like the rollups' hours and the monthly budget (quotas.month_start).
Members see their own calls only; owners and admins see the whole workspace (`visible_user`).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal, TypeVar

from django.db import connection
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.aggregates import Aggregate
from django.db.models.functions import TruncDate
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.llm import quotas
from product.llm.models import LLMCall
from product.observability import histograms, selectors
from product.observability.models import UsageDay, UsageWatermark

ZERO = Decimal(0)
# What a chart adds up per day: a count (requests, tokens) or money.
Amount = TypeVar("Amount", int, Decimal)
MICRO_USD = Decimal("0.000001")  # LLMCall.cost_usd has six decimals
Dimension = Literal["day", "model", "feature", "user"]
GroupBy = Literal["model", "feature", "member"]
GROUP_DIMENSION: dict[GroupBy, Dimension] = {
    "model": "model",
    "feature": "feature",
    "member": "user",
}
ALL_DIMENSIONS: tuple[Dimension, ...] = ("day", "model", "feature", "user")
# The columns every usage row has, on the ledger and on rollups alike (UsageHour's fields).
SCALAR_COLUMNS = (
    "requests",
    "failed",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "cost_usd",
    "cost_unknown",
    "latency_count",
    "latency_sum_ms",
    "ttft_count",
    "ttft_sum_ms",
)
# Merged with MIN and MAX instead of SUM; NULL when no call recorded the time.
EXTREME_COLUMNS = ("latency_min_ms", "latency_max_ms", "ttft_min_ms", "ttft_max_ms")
HISTOGRAM_COLUMNS = tuple(histograms.LATENCY_FIELDS + histograms.TTFT_FIELDS)
_HISTOGRAMS_AT = len(SCALAR_COLUMNS) + len(EXTREME_COLUMNS)
# A request that failed: the provider errored or timed out on every try of that attempt.
# Cancelled calls (a person pressed Stop) and incomplete ones (usage estimated) are not errors.
FAILED = Q(status=LLMCall.Status.FAILED)


def _bucket_counts(column: str, buckets: Sequence[str]) -> dict[str, Aggregate]:
    counts: dict[str, Aggregate] = {}
    for index, name in enumerate(buckets):
        low, high = histograms.bucket_range(index)
        where = Q(**{f"{column}__gte": low})
        if high is not None:
            where &= Q(**{f"{column}__lt": high})
        counts[name] = Count("pk", filter=where)
    return counts


def ledger_sums(*, with_histograms: bool = True) -> dict[str, Aggregate]:
    """The usage columns as aggregates over `LLMCall` rows (what a rollup row stores).

    In the columns' order (scalars, extremes, histograms): `Usage.from_row` reads them so."""
    sums: dict[str, Aggregate] = {
        "requests": Count("pk"),
        "failed": Count("pk", filter=FAILED),
        "input_tokens": Sum("input_tokens"),
        "cached_tokens": Sum("cached_tokens"),
        "output_tokens": Sum("output_tokens"),
        "cost_usd": Sum("cost_usd"),
        "cost_unknown": Count("pk", filter=Q(cost_unknown=True)),
        "latency_count": Count("latency_ms"),
        "latency_sum_ms": Sum("latency_ms"),
        "ttft_count": Count("ttft_ms"),
        "ttft_sum_ms": Sum("ttft_ms"),
        "latency_min_ms": Min("latency_ms"),
        "latency_max_ms": Max("latency_ms"),
        "ttft_min_ms": Min("ttft_ms"),
        "ttft_max_ms": Max("ttft_ms"),
    }
    if with_histograms:
        sums |= _bucket_counts("latency_ms", histograms.LATENCY_FIELDS)
        sums |= _bucket_counts("ttft_ms", histograms.TTFT_FIELDS)
    return sums


def rollup_sums(*, with_histograms: bool = True) -> dict[str, Aggregate]:
    """The usage columns as aggregates over rollup rows (an hour's, a day's): a merge."""
    sums: dict[str, Aggregate] = {name: Sum(name) for name in SCALAR_COLUMNS}
    for name in EXTREME_COLUMNS:
        sums[name] = Min(name) if name.endswith("_min_ms") else Max(name)
    if with_histograms:
        sums |= {name: Sum(name) for name in HISTOGRAM_COLUMNS}
    return sums


def _lowest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _highest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


@dataclass
class Usage:
    """The numbers of a set of ledger rows; `add` merges another set in (histograms too)."""

    requests: int = 0
    failed: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = ZERO
    cost_unknown: int = 0
    latency_count: int = 0
    latency_sum_ms: int = 0
    ttft_count: int = 0
    ttft_sum_ms: int = 0
    latency_min_ms: int | None = None
    latency_max_ms: int | None = None
    ttft_min_ms: int | None = None
    ttft_max_ms: int | None = None
    latency_histogram: list[int] = field(default_factory=lambda: [0] * histograms.BUCKETS)
    ttft_histogram: list[int] = field(default_factory=lambda: [0] * histograms.BUCKETS)

    @classmethod
    def from_row(cls, numbers: Sequence[Any]) -> Usage:
        """One query row's numbers: SCALAR_COLUMNS, EXTREME_COLUMNS, then the histograms if any.

        Rows come as tuples, not dicts, and are sliced: a month's CSV is ~15,000 of them.
        (Postgres answers SUM(bigint) as numeric, hence the int()s; SQLite sums decimals as
        floats, so cost is rounded back to the ledger's six decimals.)
        """
        (requests, failed, input_tokens, cached_tokens, output_tokens, cost, unknown,
         latency_count, latency_sum, ttft_count, ttft_sum,
         latency_min, latency_max, ttft_min, ttft_max) = numbers[:_HISTOGRAMS_AT]  # fmt: skip
        usage = cls(
            requests=requests or 0,
            failed=failed or 0,
            input_tokens=int(input_tokens or 0),
            cached_tokens=int(cached_tokens or 0),
            output_tokens=int(output_tokens or 0),
            cost_usd=Decimal(str(cost or 0)).quantize(MICRO_USD),
            cost_unknown=unknown or 0,
            latency_count=latency_count or 0,
            latency_sum_ms=int(latency_sum or 0),
            ttft_count=ttft_count or 0,
            ttft_sum_ms=int(ttft_sum or 0),
            latency_min_ms=latency_min,
            latency_max_ms=latency_max,
            ttft_min_ms=ttft_min,
            ttft_max_ms=ttft_max,
        )
        if len(numbers) > _HISTOGRAMS_AT:
            middle = _HISTOGRAMS_AT + histograms.BUCKETS
            usage.latency_histogram = list(numbers[_HISTOGRAMS_AT:middle])
            usage.ttft_histogram = list(numbers[middle:])
        return usage

    def add(self, other: Usage) -> None:
        self.requests += other.requests
        self.failed += other.failed
        self.input_tokens += other.input_tokens
        self.cached_tokens += other.cached_tokens
        self.output_tokens += other.output_tokens
        self.cost_usd += other.cost_usd
        self.cost_unknown += other.cost_unknown
        self.latency_count += other.latency_count
        self.latency_sum_ms += other.latency_sum_ms
        self.ttft_count += other.ttft_count
        self.ttft_sum_ms += other.ttft_sum_ms
        self._extremes(
            other.latency_min_ms, other.latency_max_ms, other.ttft_min_ms, other.ttft_max_ms
        )
        for i in range(histograms.BUCKETS):
            self.latency_histogram[i] += other.latency_histogram[i]
            self.ttft_histogram[i] += other.ttft_histogram[i]

    def _extremes(
        self,
        latency_min: int | None,
        latency_max: int | None,
        ttft_min: int | None,
        ttft_max: int | None,
    ) -> None:
        self.latency_min_ms = _lowest(self.latency_min_ms, latency_min)
        self.latency_max_ms = _highest(self.latency_max_ms, latency_max)
        self.ttft_min_ms = _lowest(self.ttft_min_ms, ttft_min)
        self.ttft_max_ms = _highest(self.ttft_max_ms, ttft_max)

    def _latency(self, quantile: float) -> float | None:
        return histograms.percentile(
            self.latency_histogram, quantile, self.latency_min_ms, self.latency_max_ms
        )

    def _ttft(self, quantile: float) -> float | None:
        return histograms.percentile(
            self.ttft_histogram, quantile, self.ttft_min_ms, self.ttft_max_ms
        )

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def succeeded(self) -> int:
        return self.requests - self.failed

    @property
    def error_rate(self) -> float | None:
        return self.failed / self.requests if self.requests else None

    @property
    def latency_mean_ms(self) -> float | None:
        return self.latency_sum_ms / self.latency_count if self.latency_count else None

    @property
    def latency_p50_ms(self) -> float | None:
        return self._latency(0.50)

    @property
    def latency_p95_ms(self) -> float | None:
        return self._latency(0.95)

    @property
    def ttft_p50_ms(self) -> float | None:
        return self._ttft(0.50)

    @property
    def ttft_p95_ms(self) -> float | None:
        return self._ttft(0.95)


# --- Periods ------------------------------------------------------------------------------------

PeriodName = Literal["month", "30d", "7d"]
PERIOD_LABELS: dict[PeriodName, str] = {
    "month": "This month",
    "30d": "Last 30 days",
    "7d": "Last 7 days",
}
# The API answers at most this many days at once (a year and a day: a leap year fits).
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Period:
    """Whole UTC days, `first` to `last` included."""

    first: date
    last: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(UTC).date()


def named_period(name: PeriodName, now: datetime | None = None) -> Period:
    last = today(now)
    if name == "month":
        return Period(last.replace(day=1), last)
    return Period(last - timedelta(days=(30 if name == "30d" else 7) - 1), last)


def month_period(now: datetime | None = None) -> Period:
    """The whole calendar month of `now` (future days included): the budget's month."""
    first = today(now).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1))


# --- Who sees what ------------------------------------------------------------------------------


def visible_user(user: User, workspace: Workspace) -> User | None:
    """None when `user` may see everyone's usage (owner, admin), else `user`: members see theirs.

    Not a member at all: Http404's rule elsewhere; here nothing (a user id that matches no rows).
    The rule is the traces' one (`selectors.sees_all_traces`): one place says who sees whose calls.
    """
    return None if selectors.sees_all_traces(user, workspace) else user


# --- Reading: rollups + the live ledger ---------------------------------------------------------


def rolled_until() -> datetime | None:
    mark = UsageWatermark.objects.order_by("pk").values_list("rolled_until", flat=True).first()
    return mark


def _clamp(moment: datetime, low: datetime, high: datetime) -> datetime:
    return min(max(moment, low), high)


def _grouped(
    queryset: QuerySet[Any],
    time_field: str | None,
    dims: Sequence[Dimension],
    sums: dict[str, Aggregate],
) -> Iterable[tuple[Any, ...]]:
    """`queryset` summed by `dims`, as tuples: the dims, then `sums` in order.

    `time_field` is truncated to the UTC day (None: the rows have a `day` column).
    """
    if "day" in dims and time_field is not None:
        queryset = queryset.annotate(day=TruncDate(time_field, tzinfo=UTC))
    grouped = queryset.values(*dims).annotate(**sums).order_by().values_list(*dims, *sums)
    # Run the ORM's SQL on the cursor: Django's per-value converters (an int() for each of the
    # ~85 numbers of a row) cost more than the query on a month's 15,000 rows. The few values a
    # database answers in its own type are normalised here and in Usage.from_row.
    sql, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    fixes = [(i, _KEY_TYPES[dim]) for i, dim in enumerate(dims) if dim in _KEY_TYPES]
    if not fixes or not rows or all(isinstance(rows[0][i], kind) for i, kind in fixes):
        return rows
    fixed = []
    for row in rows:
        values = list(row)
        for i, kind in fixes:
            values[i] = _as(kind, values[i])
        fixed.append(tuple(values))
    return fixed


# SQLite answers dates as text and UUIDs as 32 hex digits.
_KEY_TYPES: dict[str, type] = {"day": date, "user": uuid.UUID}


def _as(kind: type, value: Any) -> Any:
    if value is None or isinstance(value, kind):
        return value
    return date.fromisoformat(value) if kind is date else uuid.UUID(value)


@dataclass(frozen=True)
class _Tier:
    rows: QuerySet[Any]
    time_field: str | None  # truncated to the day; None: the rows have a `day`
    is_ledger: bool


def _tiers(workspace: Workspace, period: Period, user: User | None) -> list[_Tier]:
    """Where the numbers of `period` are: two reads that meet without overlap.

    The days that began before the watermark come from `UsageDay` (the watermark's own day
    holds its hours before it), everything from the watermark on from the ledger.
    """
    since, until = period.since, period.until
    watermark = rolled_until()
    split = since if watermark is None else _clamp(watermark, since, until)
    member = {} if user is None else {"user": user}
    tiers = []
    if split > since:
        last_day = (split - timedelta(microseconds=1)).date()  # the last day begun before it
        days = UsageDay.objects.filter(
            workspace=workspace, day__gte=period.first, day__lte=last_day, **member
        )
        tiers.append(_Tier(days, None, is_ledger=False))
    if split < until:
        live = LLMCall.objects.filter(
            workspace=workspace, created_at__gte=split, created_at__lt=until, **member
        )
        tiers.append(_Tier(live, "created_at", is_ledger=True))
    return tiers


def usage_by(
    workspace: Workspace,
    period: Period,
    dims: Sequence[Dimension],
    *,
    user: User | None = None,
    with_histograms: bool = True,
) -> dict[tuple[Any, ...], Usage]:
    """Usage of `workspace` in `period`, keyed by the values of `dims` (e.g. (day, model)).

    `user`: only that member's calls. The tiers' rows are merged by key, so a day read from
    two of them is one entry.
    """
    found: dict[tuple[Any, ...], Usage] = {}
    width = len(dims)
    for tier in _tiers(workspace, period, user):
        sums = (ledger_sums if tier.is_ledger else rollup_sums)(with_histograms=with_histograms)
        for row in _grouped(tier.rows, tier.time_field, dims, sums):
            key, numbers = row[:width], row[width:]
            if key in found:
                found[key].add(Usage.from_row(numbers))
            else:
                found[key] = Usage.from_row(numbers)
    return found


def spend_by_day(workspace: Workspace, period: Period) -> dict[date, Decimal]:
    """The workspace's spend per day: the burn-down's one number (one SUM, not the whole set)."""
    spent: dict[date, Decimal] = {}
    for tier in _tiers(workspace, period, None):
        for day, cost in _grouped(tier.rows, tier.time_field, ("day",), {"cost": Sum("cost_usd")}):
            spent[day] = spent.get(day, ZERO) + Decimal(str(cost or 0)).quantize(MICRO_USD)
    return spent


def member_names(user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID | None, str]:
    ids = {user_id for user_id in user_ids if user_id is not None}
    names: dict[uuid.UUID | None, str] = {
        user.pk: user.display_name for user in User.objects.filter(pk__in=ids)
    }
    names[None] = "Unattributed"
    return names


def member_emails(user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID | None, str]:
    ids = {user_id for user_id in user_ids if user_id is not None}
    emails: dict[uuid.UUID | None, str] = dict(
        User.objects.filter(pk__in=ids).values_list("pk", "email")
    )
    emails[None] = ""
    return emails


@dataclass(frozen=True)
class UsageRow:
    """One day × model × feature × member (the CSV's and the API's row); unset dims are None."""

    day: date
    model: str | None
    feature: str | None
    user_id: uuid.UUID | None
    member: str | None  # the member's email ("" for calls made by no one, e.g. a deleted user)
    usage: Usage


def usage_rows(
    workspace: Workspace,
    period: Period,
    *,
    user: User | None = None,
    group_by: GroupBy | None = None,
) -> list[UsageRow]:
    """Rows by day × model × feature × member, or by day × `group_by` alone, in day order."""
    dims: tuple[Dimension, ...] = (
        ALL_DIMENSIONS if group_by is None else ("day", GROUP_DIMENSION[group_by])
    )
    found = usage_by(workspace, period, dims, user=user)
    by_member = "user" in dims
    emails = member_emails(key[dims.index("user")] for key in found) if by_member else {}
    rows = []
    for key, usage in found.items():
        values = dict(zip(dims, key, strict=True))
        user_id = values.get("user")
        rows.append(
            UsageRow(
                day=values["day"],
                model=values.get("model"),
                feature=values.get("feature"),
                user_id=user_id,
                member=emails.get(user_id, "") if by_member else None,
                usage=usage,
            )
        )
    rows.sort(key=lambda r: (r.day, r.model or "", r.feature or "", r.member or ""))
    return rows


def total_of(usages: Iterable[Usage]) -> Usage:
    total = Usage()
    for usage in usages:
        total.add(usage)
    return total


# --- The month's budget burn-down -------------------------------------------------------------


@dataclass(frozen=True)
class BurnDown:
    """Cumulative spend per day of the month against the budget, and where the trend ends."""

    days: list[date]  # every day of the month
    cumulative: list[Decimal | None]  # spend up to the end of each day; None for future days
    forecast: list[Decimal | None]  # from today on, at the current daily rate; None before
    budget: Decimal
    spent: Decimal
    daily_rate: Decimal
    runs_out_on: date | None  # the forecast's day the budget is used up, if within the month
    reached_on: date | None  # the day the budget was used up, when it already was

    @property
    def outlook(self) -> str:
        if self.reached_on is not None:
            return f"Reached on {self.reached_on:%-d %B}"
        if self.runs_out_on is not None:
            return f"Runs out around {self.runs_out_on:%-d %B}"
        return "Not this month"


def burn_down(workspace: Workspace, *, now: datetime | None = None) -> BurnDown:
    """The workspace's whole spend this month (the budget is the workspace's, whoever looks)."""
    now = now or timezone.now()
    month = month_period(now)
    by_day = spend_by_day(workspace, month)
    current = today(now)
    budget = quotas.monthly_budget(workspace)
    cumulative: list[Decimal | None] = []
    running = ZERO
    reached_on = None
    for day in month.days:
        if day > current:
            cumulative.append(None)
            continue
        running += by_day.get(day, ZERO)
        cumulative.append(running)
        if reached_on is None and running >= budget and (running > 0 or budget == 0):
            reached_on = day
    spent = running
    elapsed_days = (now - month.since) / timedelta(days=1)
    # Spend so far over the days so far; the first hours of a month count as one day, so one
    # early call does not forecast a hundred.
    daily_rate = spent / Decimal(str(max(elapsed_days, 1.0)))
    forecast: list[Decimal | None] = [
        None if day < current else spent + daily_rate * (day - current).days for day in month.days
    ]
    runs_out_on = None
    if reached_on is None and daily_rate > 0:
        # Compared in days before any date is made: at a rate of a millionth of a dollar a day
        # the budget lasts past the calendar's end, and `now + timedelta` would overflow.
        days_left = (budget - spent) / daily_rate
        days_to_month_end = Decimal(str((month.until - now) / timedelta(days=1)))
        if days_left < days_to_month_end:
            runs_out_on = (now + timedelta(days=float(days_left))).date()
    return BurnDown(
        days=month.days,
        cumulative=cumulative,
        forecast=forecast,
        budget=budget,
        spent=spent,
        daily_rate=daily_rate,
        runs_out_on=runs_out_on,
        reached_on=reached_on,
    )


# --- The page: one report per period and group --------------------------------------------------

TOP_GROUPS = 5  # stacked series on the spend chart; the rest is "Other"


@dataclass(frozen=True)
class Group:
    key: Any  # the model, the feature or the user id
    label: str
    usage: Usage


@dataclass(frozen=True)
class UsageReport:
    period: Period
    group_by: GroupBy
    totals: Usage
    by_day: dict[date, Usage]  # every day of the period (empty days are zero)
    groups: list[Group]  # by spend, then requests, the largest first
    by_day_and_group: dict[tuple[Any, ...], Usage]  # (day, group key)

    def spend_series(self, top: int = TOP_GROUPS) -> list[tuple[str, list[Decimal]]]:
        """(label, spend per day) of the top groups, then "Other" for the rest, if any."""
        return self.series_by_group(lambda usage: usage.cost_usd, ZERO, top=top)

    def series_by_group(
        self, measure: Callable[[Usage], Amount], zero: Amount, *, top: int = TOP_GROUPS
    ) -> list[tuple[str, list[Amount]]]:
        """(label, `measure` per day) of the top groups, then "Other" for the rest, if any.

        The top groups are the same whatever is measured (the largest by spend, then requests),
        so a model keeps its place and colour on every chart of the page."""
        shown, rest = self.groups[:top], self.groups[top:]

        def on(day: date, key: Any) -> Amount:
            usage = self.by_day_and_group.get((day, key))
            return measure(usage) if usage else zero

        series = [
            (group.label, [on(day, group.key) for day in self.period.days]) for group in shown
        ]
        if rest:
            series.append(
                ("Other", [sum((on(d, g.key) for g in rest), zero) for d in self.period.days])
            )
        return series


def usage_report(
    workspace: Workspace, period: Period, *, group_by: GroupBy, user: User | None = None
) -> UsageReport:
    dimension = GROUP_DIMENSION[group_by]
    found = usage_by(workspace, period, ("day", dimension), user=user)
    by_day = {day: Usage() for day in period.days}
    by_group: dict[Any, Usage] = {}
    for (day, key), usage in found.items():
        by_day.setdefault(day, Usage()).add(usage)
        by_group.setdefault(key, Usage()).add(usage)
    names = member_names(by_group) if dimension == "user" else {}
    groups = [
        Group(key=key, label=names.get(key, "Unattributed") if names else str(key), usage=usage)
        for key, usage in by_group.items()
    ]
    groups.sort(key=lambda g: (-g.usage.cost_usd, -g.usage.requests, g.label))
    return UsageReport(
        period=period,
        group_by=group_by,
        totals=total_of(by_day.values()),
        by_day=by_day,
        groups=groups,
        by_day_and_group=found,
    )


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%".replace(".0%", "%")


def round_ms(value: float | None) -> int | None:
    return None if value is None or math.isnan(value) else round(value)
