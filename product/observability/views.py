"""Usage and traces pages.

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

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from product.accounts.http import AuthenticatedHttpRequest
from product.accounts.selectors import get_current_workspace
from product.core.errors import InvalidInput
from product.core.features import Feature
from product.core.http import is_fragment_request
from product.core.pagination import page_after
from product.observability import selectors
from product.observability.models import Trace

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


@login_required
def usage_page(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "observability/usage.html", {})


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
        "features": trace_features(),
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
