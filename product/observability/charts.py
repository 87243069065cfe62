"""The usage page's charts, drawn on the server as inline SVG: no chart library, no script.

Colours are CSS classes (`chart-s1` ... `chart-s6`, `chart-danger`, `chart-budget`) that
static/css/app.css maps to custom properties with a light and a dark value; text and axes use
`currentColor`. The strict CSP forbids inline styles, so nothing here writes a `style`. Each
chart has a <title> and a <desc> for screen readers, a <title> per bar or point for a pointer,
and a table with the same numbers under it (the table is the data; the drawing is a view of it).
The viewBox is small (420 wide), so labels stay readable when a phone shrinks it to ~350 px.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from product.core.money import format_usd
from product.observability.usage import BurnDown, Usage, UsageReport, percent

Number = float | Decimal | int
Format = Callable[[float], str]

WIDTH, HEIGHT = 420, 200
LEFT, RIGHT, TOP, BOTTOM = 66, 8, 10, 24  # room on the left for "$0.00002"
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
TONES = ("s1", "s2", "s3", "s4", "s5", "s6")
X_LABELS = 5
MAX_BAR_WIDTH = 28.0  # a period of a day or two still draws bars, not slabs
FONT_SIZE = 12


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Number | None]
    tone: str
    dashed: bool = False


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]  # the first cell of each row is its header (the day)


@dataclass(frozen=True)
class Chart:
    key: str  # its DOM id
    title: str
    summary: str  # one line under the title, also the SVG's <desc>
    svg: SafeString
    legend: list[tuple[str, str]] = field(default_factory=list)  # (label, tone)
    table: Table | None = None


def day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def format_count(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.3g}M"
    if value >= 10_000:
        return f"{value / 1000:.3g}k"
    return f"{value:,.0f}" if value == int(value) else f"{value:.2g}"


def format_ms(value: float) -> str:
    return f"{value / 1000:.3g} s" if value >= 1000 else f"{value:.0f} ms"


def format_money(value: float) -> str:
    return format_usd(Decimal(str(value)))


def format_money_tick(value: float) -> str:
    """An axis tick: as precise as the scale needs, even below a hundredth of a cent."""
    if value <= 0 or value >= 0.0001:
        return format_money(value)
    decimals = 1 - math.floor(math.log10(value))
    return f"${value:.{decimals}f}".rstrip("0")


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above `value`: the top of the y axis."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10 * power


def _y(value: float, top: float) -> float:
    return TOP + PLOT_H - (value / top) * PLOT_H


def _slot(count: int) -> float:
    return PLOT_W / max(count, 1)


def _x(index: int, count: int) -> float:
    return LEFT + _slot(count) * (index + 0.5)


def _frame(key: str, title: str, summary: str, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 (every label below went through escape())
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{key}-title {key}-desc" data-chart="{key}">'
        f'<title id="{key}-title">{escape(title)}</title>'
        f'<desc id="{key}-desc">{escape(summary)}</desc>' + "".join(body) + "</svg>"
    )


def _axes(days: Sequence[date], top: float, fmt: Format) -> list[str]:
    if fmt is format_money:
        fmt = format_money_tick
    parts = ['<g class="chart-grid">']
    labels = [f'<g class="chart-label" font-size="{FONT_SIZE}">']
    ticks = 4
    for tick in range(ticks + 1):
        value = top * tick / ticks
        y = _y(value, top)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        if tick % 2 == 0:  # three labels: 0, the middle, the top (room for a phone)
            labels.append(
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                f"{escape(fmt(value))}</text>"
            )
    count = len(days)
    shown = sorted({round(i * (count - 1) / (X_LABELS - 1)) for i in range(X_LABELS)})
    for index in shown if count else []:
        anchor = "start" if index == 0 and count > 1 else "end" if index == count - 1 else "middle"
        x = _x(index, count) if count > 1 else _x(0, 1)
        labels.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}">'
            f"{escape(day_label(days[index]))}</text>"
        )
    parts.append("</g>")
    labels.append("</g>")
    return parts + labels


def _empty(body: list[str], message: str) -> None:
    body.append(
        f'<text class="chart-label chart-empty" x="{LEFT + PLOT_W / 2:.1f}" '
        f'y="{TOP + PLOT_H / 2:.1f}" text-anchor="middle" font-size="12">{escape(message)}</text>'
    )


def stacked_bars(
    *,
    key: str,
    title: str,
    summary: str,
    days: Sequence[date],
    series: Sequence[Series],
    fmt: Format,
) -> SafeString:
    totals = [sum(float(s.values[i] or 0) for s in series) for i in range(len(days))]
    top = nice_ceiling(max(totals, default=0))
    width = min(_slot(len(days)) * 0.72, MAX_BAR_WIDTH)
    # Bars are drawn day by day, each day's segments stacked bottom-up in series order.
    groups: dict[str, list[str]] = {s.tone: [] for s in series}
    for index, day in enumerate(days):
        base = 0.0
        x = _x(index, len(days)) - width / 2
        for s in series:
            value = float(s.values[index] or 0)
            if value <= 0:
                continue
            y_top, y_base = _y(base + value, top), _y(base, top)
            groups[s.tone].append(
                f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{width:.1f}" '
                f'height="{max(y_base - y_top, 0.5):.1f}">'
                f"<title>{escape(day_label(day))} · {escape(s.label)}: {escape(fmt(value))}</title>"
                "</rect>"
            )
            base += value
    body = _axes(days, top, fmt)
    for s in series:
        body.append(f'<g class="chart-bars chart-{s.tone}">{"".join(groups[s.tone])}</g>')
    if not any(totals):
        _empty(body, "Nothing in this period")
    return _frame(key, title, summary, body)


def lines(
    *,
    key: str,
    title: str,
    summary: str,
    days: Sequence[date],
    series: Sequence[Series],
    fmt: Format,
) -> SafeString:
    values = [float(v) for s in series for v in s.values if v is not None]
    top = nice_ceiling(max(values, default=0))
    body = _axes(days, top, fmt)
    count = len(days)
    for s in series:
        path: list[str] = []
        points: list[str] = []
        pen_down = False
        for index, value in enumerate(s.values):
            if value is None:
                pen_down = False
                continue
            x, y = _x(index, count), _y(float(value), top)
            path.append(f"{'L' if pen_down else 'M'}{x:.1f} {y:.1f}")
            pen_down = True
            if s.dashed:
                continue  # a dashed line (forecast, budget) has no markers to hide its dashes
            points.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5"><title>{escape(day_label(days[index]))}'
                f" · {escape(s.label)}: {escape(fmt(float(value)))}</title></circle>"
            )
        dashed = " chart-dashed" if s.dashed else ""
        body.append(
            f'<g class="chart-line chart-{s.tone}{dashed}"><path d="{" ".join(path)}"/>'
            f"{''.join(points)}</g>"
        )
    if not values:
        _empty(body, "Nothing in this period")
    return _frame(key, title, summary, body)


# --- The usage page's charts --------------------------------------------------------------------


def _cell(value: Number | None, fmt: Format) -> str:
    return "—" if value is None else fmt(float(value))


def _table(days: Sequence[date], series: Sequence[Series], fmt: Format) -> Table:
    return Table(
        headers=["Day", *[s.label for s in series]],
        rows=[
            [day_label(day), *[_cell(s.values[i], fmt) for s in series]]
            for i, day in enumerate(days)
        ],
    )


Draw = Callable[..., SafeString]


def _chart(
    *,
    key: str,
    title: str,
    summary: str,
    draw: Draw,
    days: Sequence[date],
    series: Sequence[Series],
    fmt: Format,
    table: Table | None = None,
) -> Chart:
    """A chart card: the drawing, its legend, and by default a table of the same series."""
    svg = draw(key=key, title=title, summary=summary, days=days, series=series, fmt=fmt)
    return Chart(
        key=key,
        title=title,
        summary=summary,
        svg=svg,
        legend=[(s.label, s.tone) for s in series],
        table=table or _table(days, series, fmt),
    )


def _by_group(report: UsageReport, measure: Callable[[Usage], int]) -> list[Series]:
    """The top groups' series of a count, then "Other": the tones follow the spend chart's."""
    return [
        Series(label, values, TONES[i % len(TONES)])
        for i, (label, values) in enumerate(report.series_by_group(measure, 0))
    ]


def _busiest(report: UsageReport, measure: Callable[[Usage], Number], fmt: Format) -> str:
    """ "; the most on 3 Dec: 1.2k", or nothing for an empty period."""
    days = report.period.days
    busiest = max(days, key=lambda d: measure(report.by_day[d]), default=None)
    if busiest is None or not measure(report.by_day[busiest]):
        return ""
    return f"; the most on {day_label(busiest)}: {fmt(float(measure(report.by_day[busiest])))}"


def _stacked_by_group(
    report: UsageReport,
    *,
    key: str,
    what: str,
    summary: str,
    stacked: list[Series],
    extra: list[Series],
    fmt: Format,
) -> Chart:
    """Bars of the top groups stacked per day; the table adds the `extra` columns (totals)."""
    days = report.period.days
    return _chart(
        key=key,
        title=f"{what} per day by {report.group_by}",
        summary=summary + ".",
        draw=stacked_bars,
        days=days,
        series=stacked,
        fmt=fmt,
        table=_table(days, [*stacked, *extra], fmt),
    )


def spend_chart(report: UsageReport) -> Chart:
    days = report.period.days
    stacked = [
        Series(label, values, TONES[i % len(TONES)])
        for i, (label, values) in enumerate(report.spend_series())
    ]
    summary = f"{format_usd(report.totals.cost_usd)} in all"
    summary += _busiest(report, lambda usage: usage.cost_usd, format_money)
    return _stacked_by_group(
        report,
        key="chart-spend",
        what="Spend",
        summary=summary,
        stacked=stacked,
        extra=[Series("Total", [report.by_day[d].cost_usd for d in days], "s1")],
        fmt=format_money,
    )


def tokens_chart(report: UsageReport) -> Chart:
    days = report.period.days
    totals = report.totals
    summary = (
        f"{format_count(totals.tokens)} tokens in all ({format_count(totals.input_tokens)} in, "
        f"{format_count(totals.output_tokens)} out)"
    )
    summary += _busiest(report, lambda usage: usage.tokens, format_count)
    return _stacked_by_group(
        report,
        key="chart-tokens",
        what="Tokens",
        summary=summary,
        stacked=_by_group(report, lambda usage: usage.tokens),
        extra=[
            Series("Total", [report.by_day[d].tokens for d in days], "s1"),
            Series("In", [report.by_day[d].input_tokens for d in days], "s1"),
            Series("Out", [report.by_day[d].output_tokens for d in days], "s1"),
        ],
        fmt=format_count,
    )


def requests_chart(report: UsageReport) -> Chart:
    """Each group's succeeded requests stacked, and the failed ones (of every group) on top in
    the danger colour: a bar is as tall as the day's requests, its red part the errors."""
    days = report.period.days
    succeeded = _by_group(report, lambda usage: usage.succeeded)
    failed = Series("Failed", [report.by_day[d].failed for d in days], "danger")
    total = Series("Total", [report.by_day[d].requests for d in days], "s1")
    table = _table(days, [*succeeded, failed, total], format_count)
    for index, label in enumerate(table.headers[1 : len(succeeded) + 1], start=1):
        table.headers[index] = f"{label}, succeeded"
    table.headers.append("Error rate")
    for row, day in zip(table.rows, days, strict=True):
        row.append(percent(report.by_day[day].error_rate))
    totals = report.totals
    return _chart(
        key="chart-requests",
        title=f"Requests and errors per day by {report.group_by}",
        summary=f"{totals.requests:,} request{'' if totals.requests == 1 else 's'}, "
        f"{totals.failed:,} failed ({percent(totals.error_rate)}); "
        f"each {report.group_by}'s succeeded requests, the failed ones on top.",
        draw=stacked_bars,
        days=days,
        series=[*succeeded, failed],
        fmt=format_count,
        table=table,
    )


def _percentiles(name: str, p50: float | None, p95: float | None) -> list[str]:
    if p95 is None:
        return []
    return [f"{name} p50 {format_ms(p50 or 0)}, p95 {format_ms(p95)}"]


def latency_chart(report: UsageReport) -> Chart:
    days = report.period.days
    by_day = report.by_day
    totals = report.totals
    parts = _percentiles("latency", totals.latency_p50_ms, totals.latency_p95_ms)
    parts += _percentiles("first token", totals.ttft_p50_ms, totals.ttft_p95_ms)
    return _chart(
        key="chart-latency",
        title="Latency and time to first token per day",
        summary=f"Over the period: {'; '.join(parts)}." if parts else "No timed calls yet.",
        draw=lines,
        days=days,
        series=[
            Series("Latency p50", [by_day[d].latency_p50_ms for d in days], "s1"),
            Series("Latency p95", [by_day[d].latency_p95_ms for d in days], "s2"),
            Series("First token p50", [by_day[d].ttft_p50_ms for d in days], "s3"),
            Series("First token p95", [by_day[d].ttft_p95_ms for d in days], "s4"),
        ],
        fmt=format_ms,
    )


def burn_down_chart(burn: BurnDown) -> Chart:
    spent = Series("Spent", burn.cumulative, "s1")
    forecast = Series("Forecast", burn.forecast, "s2", dashed=True)
    budget = Series("Budget", [burn.budget] * len(burn.days), "budget", dashed=True)
    return _chart(
        key="chart-budget",
        title="This month's budget",
        summary=f"{format_usd(burn.spent)} of {format_usd(burn.budget)} spent, "
        f"{format_usd(burn.daily_rate)} a day. {burn.outlook}.",
        draw=lines,
        days=burn.days,
        series=[spent, forecast, budget],
        fmt=format_money,
        table=_table(burn.days, [spent, forecast], format_money),
    )


def usage_charts(report: UsageReport, burn: BurnDown) -> list[Chart]:
    return [
        spend_chart(report),
        tokens_chart(report),
        requests_chart(report),
        latency_chart(report),
        burn_down_chart(burn),
    ]
