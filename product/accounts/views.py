"""Workspace pages: switch, list, create, members, invitations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from product.accounts.selectors import CURRENT_WORKSPACE_SESSION_KEY, get_workspace_for_user
from product.core.http import AuthenticatedHttpRequest


@require_POST
@login_required
def workspace_switch(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_workspace_for_user(request.user, request.POST.get("workspace", ""))
    request.session[CURRENT_WORKSPACE_SESSION_KEY] = str(workspace.id)
    messages.success(request, f"Switched to {workspace.name}.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "core:dashboard"
    return redirect(next_url)
