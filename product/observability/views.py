"""Usage and traces pages.

- /observability/: the usage page (cards, server-drawn SVG charts with their tables, the budget
  burn-down), and /observability/usage/export.csv, its rows as CSV;
- /observability/traces/: the workspace's traces (owners and admins: everyone's; members: their
  own), filtered by feature, status and time, newest first, a page of 50 at a time (keyset, like
  the API's lists);
- /observability/traces/<trace id>/: one trace's waterfall (server-rendered: an SVG bar per step,
  placed in % of the trace; the page polls itself while the trace is still running);
- /observability/traces/<trace id>/calls/<id>/: one model attempt: the messages sent and the
  text received, or why they are not here, with their sizes.

Thin adapters over the selectors (product/observability/selectors.py), whose
`get_trace_for_user` is the one door to a trace and everything in it.
"""

from __future__ import annotations

import csv
import uuid
from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from product.accounts.http import AuthenticatedHttpRequest
from product.accounts.selectors import get_current_workspace
from product.core.errors import InvalidInput
from product.core.features import Feature
from product.core.http import is_fragment_request
from product.core.pagination import page_after
from product.observability import charts, selectors, usage
from product.observability.models import Trace
from product.observability.usage import GroupBy, PeriodName

TRACES_PER_PAGE = 50
# The list's time filter: traces that started within the last ...
PERIODS: dict[str, tuple[str, timedelta]] = {
    "1h": ("Last hour", timedelta(hours=1)),
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "7d": ("Last 7 days", timedelta(days=7)),
    "30d": ("Last 30 days", timedelta(days=30)),
}
# Requests made over the API without a job are traced under this feature.
API_FEATURE = ("api", "API")

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


def trace_features() -> list[tuple[str, str]]:
    """(value, label) of the features a trace can come from: every feature app but this one
    (by its app label, what `Trace.feature` holds), and the API."""
    found = []
    for name in settings.FEATURE_APPS:
        config = next(c for c in apps.get_app_configs() if c.name == name)
        if config.label == "observability":
            continue
        feature = getattr(config, "feature", None)
        found.append((config.label, feature.label if isinstance(feature, Feature) else name))
    return [*found, API_FEATURE]


def _query(params: dict[str, str]) -> str:
    return urlencode({key: value for key, value in params.items() if value})


@require_GET
@login_required
def trace_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_current_workspace(request)
    feature = request.GET.get("feature", "").strip()[:64]
    status = request.GET.get("status", "")
    status = status if status in Trace.Status.values else ""
    period = request.GET.get("period", "")
    period = period if period in PERIODS else ""
    found = selectors.traces_for_user(
        request.user,
        workspace,
        feature=feature or None,
        status=status or None,
        since=timezone.now() - PERIODS[period][1] if period else None,
    )
    error, code = "", 200
    try:
        traces, cursor = page_after(
            found,
            cursor=request.GET.get("cursor") or None,
            limit=TRACES_PER_PAGE,
            order_by="started_at",
        )
    except InvalidInput as exc:
        # A cursor edited by hand: say so, and show the first page.
        error, code = exc.message, 400
        traces, cursor = page_after(
            found, cursor=None, limit=TRACES_PER_PAGE, order_by="started_at"
        )
    filters = {"feature": feature, "status": status, "period": period}
    context: dict[str, Any] = {
        "workspace": workspace,
        "traces": traces,
        "sees_all": selectors.sees_all_traces(request.user, workspace),
        "feature_choices": trace_features(),
        "statuses": Trace.Status.choices,
        "periods": [(key, label) for key, (label, _) in PERIODS.items()],
        "feature": feature,
        "status": status,
        "period": period,
        "filtered": any(filters.values()),
        "next_query": _query({**filters, "cursor": cursor or ""}) if cursor else "",
        "paged": bool(request.GET.get("cursor")) and not error,
        "first_query": _query(filters),
        "error": error,
    }
    return render(request, "observability/trace_list.html", context, status=code)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def trace_detail(request: AuthenticatedHttpRequest, trace_id: str) -> HttpResponse:
    trace = selectors.get_trace_for_user(request.user, trace_id)
    template = "observability/trace_detail.html"
    if is_fragment_request(request):
        template += "#trace-live"  # the page polls its waterfall while the trace runs
    context = {"trace": trace, "detail": selectors.trace_detail(trace)}
    return render(request, template, context)


@require_GET
@login_required
def call_detail(request: AuthenticatedHttpRequest, trace_id: str, pk: uuid.UUID) -> HttpResponse:
    trace, call = selectors.get_call_for_user(request.user, trace_id, pk)
    kind = selectors.model_call_kind(call)
    context = {
        "trace": trace,
        "call": call,
        "kind_label": selectors.KIND_LABELS[kind],
        "bodies": selectors.bodies_state(call),
        # Not `messages`: that name is Django's messages framework (the page's toasts).
        "sent": selectors.sent_messages(call),
        "retention_days": settings.LLM_BODY_RETENTION_DAYS,
        "retries": list(call.retries.filter(trace_id=trace.trace_id).order_by("created_at")),
    }
    return render(request, "observability/call_detail.html", context)


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
