"""Accounts' first step on the dashboard (registered in apps.py, see product/core/dashboard.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from product.accounts.models import Invitation, Membership, Workspace
from product.accounts.selectors import get_current_membership, get_current_workspace
from product.core.dashboard import FirstStep


def is_manager(request: HttpRequest) -> bool:
    """Owners and admins: the people who invite and manage API keys."""
    membership = get_current_membership(request)
    return membership is not None and membership.can_manage


def has_invited(request: HttpRequest) -> bool:
    """Someone was invited, or someone besides the owner is already in (one query for both)."""
    membership = get_current_membership(request)
    if membership is None:
        return False
    invited = Invitation.objects.filter(workspace=OuterRef("pk"))
    others = Membership.objects.filter(workspace=OuterRef("pk")).exclude(pk=membership.pk)
    return (
        Workspace.objects.filter(pk=membership.workspace_id)
        .filter(Exists(invited) | Exists(others))
        .exists()
    )


def _workspace_id(request: HttpRequest) -> Sequence[Any]:
    return (get_current_workspace(request).pk,)


first_step = FirstStep(
    title="Invite a teammate",
    text="Send an emailed invitation; they join this workspace with the role you pick.",
    url_name="accounts:workspace-detail",
    done=has_invited,
    position=30,
    applies=is_manager,
    url_args=_workspace_id,
)
