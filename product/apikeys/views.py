"""API key pages: the list (everyone in the workspace), create and revoke (owners and admins)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from product.accounts.http import AuthenticatedHttpRequest
from product.accounts.models import Membership
from product.accounts.selectors import get_current_membership
from product.apikeys import services
from product.apikeys.forms import ApiKeyForm
from product.apikeys.selectors import get_key_for_member, keys_for_workspace
from product.core.errors import KeelError, add_form_error, show_error
from product.core.http import is_fragment_request


def _membership(request: AuthenticatedHttpRequest) -> Membership:
    membership = get_current_membership(request)
    if membership is None:
        raise Http404("You are not a member of any workspace.")
    return membership


def _manager(request: AuthenticatedHttpRequest) -> Membership:
    membership = _membership(request)
    if not membership.can_manage:
        raise PermissionDenied("Only an owner or admin can manage API keys.")
    return membership


@require_GET
@login_required
@vary_on_headers("HX-Request")
def key_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = _membership(request)
    template = "apikeys/apikey_list.html"
    if is_fragment_request(request):
        template += "#key-list"
    context = {
        "membership": membership,
        "keys": keys_for_workspace(workspace=membership.workspace),
        "can_manage": membership.can_manage,
    }
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def key_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = _manager(request)
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_api_key(
                membership=membership,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
            )
        except KeelError as exc:
            add_form_error(form, None, exc)
        else:
            # Rendered, not redirected: the full key exists only in this response (never_cache).
            return render(
                request,
                "apikeys/apikey_form.html",
                {"membership": membership, "created": created},
                status=201,
            )
    return render(request, "apikeys/apikey_form.html", {"membership": membership, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
def key_revoke(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    membership = _membership(request)
    key = get_key_for_member(membership=membership, key_id=pk)
    membership = _manager(request)
    if request.method == "POST":
        try:
            services.revoke_api_key(membership=membership, key=key)
        except KeelError as exc:
            show_error(request, exc)
        else:
            messages.success(request, f"Revoked “{key.name}”. It stopped working at once.")
        return redirect("apikeys:key-list")
    return render(request, "apikeys/apikey_confirm_delete.html", {"key": key})
