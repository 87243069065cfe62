"""The evaluation pages: feedback, datasets, runs and comparisons."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from product.accounts.http import AuthenticatedHttpRequest
from product.accounts.selectors import get_current_workspace


@require_GET
@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_current_workspace(request)
    return render(request, "evals/home.html", {"workspace": workspace})
