"""Layout pages (landing, dashboard) and the operators' health endpoints."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from product.core.dashboard import dashboard_context
from product.core.health import run_checks


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:dashboard-page")
    return render(request, "core/landing.html")


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The signed-in home; what it shows comes from the apps (see product/core/dashboard.py)."""
    return render(request, "core/dashboard.html", dashboard_context(request))


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
