"""Layout pages (landing, dashboard) and the operators' health endpoints."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from product.accounts.selectors import get_current_workspace
from product.core.health import run_checks
from product.core.http import AuthenticatedHttpRequest
from product.llm.quotas import budget_status


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:dashboard-page")
    return render(request, "core/landing.html")


@require_GET
@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_current_workspace(request)
    members = workspace.memberships.count()
    return render(
        request,
        "core/dashboard.html",
        {"workspace": workspace, "usage": budget_status(workspace), "member_count": members},
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving; says nothing about dependencies."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Database, broker and cache reachable; 503 with each check's result otherwise."""
    ready, checks = run_checks()
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
