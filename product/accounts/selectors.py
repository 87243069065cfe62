"""Reads for accounts. `get_workspace_for_user` is the one door to a workspace."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from product.accounts.models import Invitation, Membership, User, Workspace

CURRENT_WORKSPACE_SESSION_KEY = "current_workspace_id"
# An invitation link opened while signed out, accepted at the next log-in (accounts/signals.py).
PENDING_INVITATION_SESSION_KEY = "pending_invitation_token"
# Where the last confirmation mail went (accounts/adapter.py), for the "Check your inbox" page;
# templates/account/verification_sent.html reads it by this name.
VERIFICATION_SENT_TO_SESSION_KEY = "verification_sent_to"


def workspaces_for_user(user: User) -> QuerySet[Workspace]:
    return Workspace.objects.filter(memberships__user=user).order_by("-is_personal", "name")


def memberships_for_user(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("workspace")
        .order_by("-workspace__is_personal", "workspace__name")
    )


def get_membership(*, user: User, workspace_id: uuid.UUID | str) -> Membership:
    """The one permission-checked door to a workspace: 404 for anyone who is not a member."""
    try:
        return Membership.objects.select_related("workspace", "user").get(
            user=user, workspace_id=workspace_id
        )
    except (Membership.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404("No such workspace.") from exc


def get_workspace_for_user(user: User, workspace_id: uuid.UUID | str) -> Workspace:
    return get_membership(user=user, workspace_id=workspace_id).workspace


def get_current_membership(request: HttpRequest) -> Membership | None:
    """The workspace the signed-in user is working in (kept in the session; falls back to the first)."""
    user = request.user
    if not user.is_authenticated:
        return None
    assert isinstance(user, User)
    cached: Membership | None = getattr(request, "_current_membership", None)
    if cached is not None:
        return cached
    membership = None
    workspace_id = request.session.get(CURRENT_WORKSPACE_SESSION_KEY)
    if workspace_id:
        membership = (
            Membership.objects.select_related("workspace")
            .filter(user=user, workspace_id=workspace_id)
            .first()
        )
    if membership is None:
        membership = (
            Membership.objects.select_related("workspace")
            .filter(user=user)
            .order_by("-workspace__is_personal", "created_at")
            .first()
        )
        if membership is not None:
            request.session[CURRENT_WORKSPACE_SESSION_KEY] = str(membership.workspace_id)
    request._current_membership = membership  # type: ignore[attr-defined]
    return membership


def get_current_workspace(request: HttpRequest) -> Workspace:
    membership = get_current_membership(request)
    if membership is None:
        raise Http404("You are not a member of any workspace.")
    return membership.workspace


def members_of(workspace: Workspace) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__email")
    )


def pending_invitations(workspace: Workspace) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        workspace=workspace,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).select_related("invited_by")


def get_member(*, membership: Membership, member_id: uuid.UUID) -> Membership:
    """A membership in the same workspace as `membership` (who has already passed the door)."""
    try:
        return Membership.objects.select_related("user", "workspace").get(
            pk=member_id, workspace_id=membership.workspace_id
        )
    except Membership.DoesNotExist as exc:
        raise Http404("No such member.") from exc


def get_invitation(*, membership: Membership, invitation_id: uuid.UUID) -> Invitation:
    try:
        return Invitation.objects.get(pk=invitation_id, workspace_id=membership.workspace_id)
    except Invitation.DoesNotExist as exc:
        raise Http404("No such invitation.") from exc


def get_invitation_by_id(invitation_id: str) -> Invitation | None:
    """Load the invitation a verified token names (the token check is the permission here)."""
    try:
        return Invitation.objects.select_related("workspace", "invited_by").get(pk=invitation_id)
    except (Invitation.DoesNotExist, ValueError, ValidationError):
        return None
