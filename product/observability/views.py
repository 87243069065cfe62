"""Usage and traces pages (the usage helper and the traces helper fill these in)."""

from __future__ import annotations

import csv
from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from product.accounts.http import AuthenticatedHttpRequest
from product.accounts.selectors import get_current_workspace
from product.observability import charts, usage
from product.observability.usage import GroupBy, PeriodName

# --- Usage: the page and its CSV export -----------------------------------------------------------

GROUP_LABELS: dict[GroupBy, str] = {"model": "Model", "feature": "Feature", "member": "Member"}


def _usage_choices(request: AuthenticatedHttpRequest) -> tuple[PeriodName, GroupBy]:
    # Like the other list filters (evals' feedback list): an unknown value is the default, so
    # an old or hand-edited link still opens the page.
    period = request.GET.get("period", "")
    group = request.GET.get("group", "")
    return (
        cast(PeriodName, period) if period in usage.PERIOD_LABELS else "month",
        cast(GroupBy, group) if group in GROUP_LABELS else "model",
    )


@require_GET
@login_required
def usage_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_current_workspace(request)
    period_name, group_by = _usage_choices(request)
    member = usage.visible_user(request.user, workspace)
    period = usage.named_period(period_name)
    report = usage.usage_report(workspace, period, group_by=group_by, user=member)
    burn = usage.burn_down(workspace)
    context = {
        "workspace": workspace,
        "own_only": member is not None,
        "period_name": period_name,
        "period": period,
        "periods": usage.PERIOD_LABELS,
        "group_by": group_by,
        "groups": GROUP_LABELS,
        "report": report,
        "totals": report.totals,
        "burn": burn,
        "charts": charts.usage_charts(report, burn),
    }
    return render(request, "observability/usage.html", context)


CSV_COLUMNS = (
    "day",
    "model",
    "feature",
    "member",
    "requests",
    "failed",
    "error_rate",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "cost_usd",
    "cost_unknown_calls",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_mean_ms",
    "ttft_p50_ms",
    "ttft_p95_ms",
)
# A cell a spreadsheet would run as a formula (OWASP's CSV injection): e.g. an e-mail "=cmd@x".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


@require_GET
@login_required
def usage_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The page's period as CSV: one row per day × model × feature × member (yours only, for
    a member), the numbers unformatted (cost in dollars, six decimals)."""
    workspace = get_current_workspace(request)
    period_name, _group_by = _usage_choices(request)
    period = usage.named_period(period_name)
    rows = usage.usage_rows(workspace, period, user=usage.visible_user(request.user, workspace))
    stamp = timezone.now().strftime("%Y%m%d")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="usage-{period_name}-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        numbers = row.usage
        writer.writerow(
            [
                row.day.isoformat(),
                _text_cell(row.model or ""),
                _text_cell(row.feature or ""),
                _text_cell(row.member or ""),
                numbers.requests,
                numbers.failed,
                "" if numbers.error_rate is None else f"{numbers.error_rate:.4f}",
                numbers.input_tokens,
                numbers.cached_tokens,
                numbers.output_tokens,
                f"{numbers.cost_usd:.6f}",
                numbers.cost_unknown,
                _number(numbers.latency_p50_ms),
                _number(numbers.latency_p95_ms),
                _number(numbers.latency_mean_ms),
                _number(numbers.ttft_p50_ms),
                _number(numbers.ttft_p95_ms),
            ]
        )
    return response
