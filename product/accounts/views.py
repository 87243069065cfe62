"""Workspace pages: list, create, settings (members, invitations), switch, and accepting invitations.

Every view that touches a workspace passes through `get_membership` (404 for outsiders); what the
member may do there is decided by the services, whose `WorkspaceRuleError` (a KeelError) becomes an
error toast or a form error.
Member and invitation actions answer an htmx request with the `#people` fragment of the settings
page, and a plain (or boosted) form post with a redirect back to it.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from product.accounts import services
from product.accounts.forms import (
    DeleteWorkspaceForm,
    InvitationForm,
    ModelBodiesForm,
    RoleForm,
    WorkspaceForm,
)
from product.accounts.http import AuthenticatedHttpRequest
from product.accounts.models import Membership, User
from product.accounts.selectors import (
    CURRENT_WORKSPACE_SESSION_KEY,
    PENDING_INVITATION_SESSION_KEY,
    get_invitation,
    get_invitation_by_id,
    get_member,
    get_membership,
    get_workspace_for_user,
    members_of,
    memberships_for_user,
    pending_invitations,
)
from product.core.errors import KeelError, add_form_error, show_error
from product.core.http import is_fragment_request


@require_POST
@login_required
def workspace_switch(request: AuthenticatedHttpRequest) -> HttpResponse:
    workspace = get_workspace_for_user(request.user, request.POST.get("workspace", ""))
    request.session[CURRENT_WORKSPACE_SESSION_KEY] = str(workspace.id)
    messages.success(request, f"Switched to {workspace.name}.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "core:dashboard-page"
    return redirect(next_url)


@require_GET
@login_required
def workspace_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    memberships = memberships_for_user(request.user)
    return render(request, "accounts/workspace_list.html", {"memberships": memberships})


@require_http_methods(["GET", "POST"])
@login_required
def workspace_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.create_workspace(
                owner=request.user, name=form.cleaned_data["name"]
            )
        except KeelError as exc:
            add_form_error(form, "name", exc)
        else:
            request.session[CURRENT_WORKSPACE_SESSION_KEY] = str(workspace.id)
            messages.success(request, f"Created {workspace.name}. Invite your team below.")
            return redirect("accounts:workspace-detail", pk=workspace.id)
    return render(request, "accounts/workspace_form.html", {"form": form, "title": "New workspace"})


def _detail_context(membership: Membership, **extra: object) -> dict[str, object]:
    workspace = membership.workspace
    return {
        "workspace": workspace,
        "membership": membership,
        "members": members_of(workspace),
        "invitations": pending_invitations(workspace) if membership.can_manage else [],
        "invite_form": extra.pop("invite_form", None) or InvitationForm(),
        "roles": Membership.Role.choices,
        "privacy_form": extra.pop("privacy_form", None)
        or ModelBodiesForm(
            initial={"store": ModelBodiesForm.value_of(workspace.store_model_bodies)}
        ),
        **extra,
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def workspace_detail(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    membership = get_membership(user=request.user, workspace_id=pk)
    template = "accounts/workspace_detail.html"
    if is_fragment_request(request):
        template += "#people"
    return render(request, template, _detail_context(membership))


@require_http_methods(["GET", "POST"])
@login_required
def workspace_update(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    membership = get_membership(user=request.user, workspace_id=pk)
    form = WorkspaceForm(request.POST or None, initial={"name": membership.workspace.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.rename_workspace(membership=membership, name=form.cleaned_data["name"])
        except KeelError as exc:
            add_form_error(form, "name", exc)
        else:
            messages.success(request, "Workspace renamed.")
            return redirect("accounts:workspace-detail", pk=pk)
    return render(
        request,
        "accounts/workspace_form.html",
        {"form": form, "title": "Rename workspace", "workspace": membership.workspace},
    )


@require_POST
@login_required
def workspace_privacy_update(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The Privacy card of the settings page: whether traces keep prompts and responses."""
    membership = get_membership(user=request.user, workspace_id=pk)
    form = ModelBodiesForm(request.POST)
    if form.is_valid():
        try:
            workspace = services.set_model_body_storage(
                membership=membership, store=form.store_value
            )
        except KeelError as exc:
            show_error(request, exc)
        else:
            stored = "stored" if workspace.stores_model_bodies else "not stored"
            messages.success(request, f"Saved: prompts and responses are {stored} for traces.")
        return redirect(reverse("accounts:workspace-detail", kwargs={"pk": pk}) + "#privacy")
    return render(
        request,
        "accounts/workspace_detail.html",
        _detail_context(membership, privacy_form=form),
        status=422,
    )


@require_http_methods(["GET", "POST"])
@login_required
def workspace_delete(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    membership = get_membership(user=request.user, workspace_id=pk)
    form = DeleteWorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = membership.workspace.name
        try:
            services.delete_workspace(
                membership=membership, confirm_name=form.cleaned_data["confirm_name"]
            )
        except KeelError as exc:
            add_form_error(form, "confirm_name", exc)
        else:
            request.session.pop(CURRENT_WORKSPACE_SESSION_KEY, None)
            messages.success(request, f"Deleted {name}.")
            return redirect("accounts:workspace-list")
    return render(
        request,
        "accounts/workspace_confirm_delete.html",
        {"form": form, "workspace": membership.workspace, "membership": membership},
    )


def _back_to_people(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    if is_fragment_request(request):
        return render(request, "accounts/workspace_detail.html#people", _detail_context(membership))
    return redirect("accounts:workspace-detail", pk=membership.workspace_id)


@require_POST
@login_required
def invitation_create(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    membership = get_membership(user=request.user, workspace_id=pk)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invite_member(
                actor=membership, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
            )
        except KeelError as exc:
            add_form_error(form, "email", exc)
            if not membership.can_manage:  # they have no form to show the error beside
                show_error(request, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return _back_to_people(request, membership)
    # Show the form again with its errors, on the page (or fragment) it came from.
    template = "accounts/workspace_detail.html"
    if is_fragment_request(request):
        template += "#people"
    return render(request, template, _detail_context(membership, invite_form=form), status=200)


@require_POST
@login_required
def invitation_revoke(
    request: AuthenticatedHttpRequest, pk: uuid.UUID, invitation_id: uuid.UUID
) -> HttpResponse:
    membership = get_membership(user=request.user, workspace_id=pk)
    invitation = get_invitation(membership=membership, invitation_id=invitation_id)
    try:
        services.revoke_invitation(actor=membership, invitation=invitation)
    except KeelError as exc:
        show_error(request, exc)
    else:
        messages.success(request, f"Revoked the invitation to {invitation.email}.")
    return _back_to_people(request, membership)


@require_POST
@login_required
def member_role(
    request: AuthenticatedHttpRequest, pk: uuid.UUID, member_id: uuid.UUID
) -> HttpResponse:
    membership = get_membership(user=request.user, workspace_id=pk)
    target = get_member(membership=membership, member_id=member_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner, admin or member.")
        return _back_to_people(request, membership)
    try:
        services.change_role(actor=membership, target=target, role=form.cleaned_data["role"])
    except KeelError as exc:
        show_error(request, exc)
    else:
        messages.success(request, f"{target.user.email} is now {form.cleaned_data['role']}.")
    if target.pk == membership.pk:
        # The actor may have demoted themself: reload their membership for the fragment.
        membership = get_membership(user=request.user, workspace_id=pk)
    return _back_to_people(request, membership)


@require_POST
@login_required
def member_remove(
    request: AuthenticatedHttpRequest, pk: uuid.UUID, member_id: uuid.UUID
) -> HttpResponse:
    membership = get_membership(user=request.user, workspace_id=pk)
    target = get_member(membership=membership, member_id=member_id)
    try:
        services.remove_member(actor=membership, target=target)
    except KeelError as exc:
        show_error(request, exc)
    else:
        messages.success(request, f"Removed {target.user.email}.")
    return _back_to_people(request, membership)


@require_POST
@login_required
def workspace_leave(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    membership = get_membership(user=request.user, workspace_id=pk)
    try:
        services.leave_workspace(membership=membership)
    except KeelError as exc:
        show_error(request, exc)
        return redirect("accounts:workspace-detail", pk=pk)
    request.session.pop(CURRENT_WORKSPACE_SESSION_KEY, None)
    messages.success(request, f"You left {membership.workspace.name}.")
    return redirect("accounts:workspace-list")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link. Signed out: keep the token in the session through sign-up or log-in
    (accepted right after, see signals.py). Signed in as the invited address: accept on POST."""
    invitation = None
    try:
        invitation = get_invitation_by_id(services.invitation_id_from_token(token))
        if invitation is None:
            raise services.InvitationNotFound("This invitation no longer exists.")
        user = request.user if isinstance(request.user, User) else None
        services.check_invitation(invitation=invitation, user=user)
    except services.InvitationError as exc:
        # The page says why, with the error's status: 404 no such link, 410 used up, 403 not you.
        request.session.pop(PENDING_INVITATION_SESSION_KEY, None)
        return render(
            request,
            "accounts/invitation_accept.html",
            {"invitation": invitation, "error": exc.message},
            status=exc.status,
        )
    if not isinstance(request.user, User):
        request.session[PENDING_INVITATION_SESSION_KEY] = token
        return render(
            request,
            "accounts/invitation_accept.html",
            {
                "invitation": invitation,
                # allauth pre-fills the sign-up form from ?email=.
                "signup_url": f"{reverse('account_signup')}?{urlencode({'email': invitation.email})}",
                "login_url": reverse("account_login"),
            },
        )
    if request.method == "POST":
        try:
            accepted = services.accept_invitation(invitation=invitation, user=request.user)
        except KeelError as exc:
            show_error(request, exc)
            return redirect("core:dashboard-page")
        request.session.pop(PENDING_INVITATION_SESSION_KEY, None)
        request.session[CURRENT_WORKSPACE_SESSION_KEY] = str(accepted.workspace_id)
        messages.success(request, f"Welcome to {accepted.workspace.name}.")
        return redirect("accounts:workspace-detail", pk=accepted.workspace_id)
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation})
