"""Template context of every signed-in page: the current workspace and the switcher's list."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from product.accounts.models import User
from product.accounts.selectors import (
    get_current_membership,
    get_current_workspace,
    workspaces_for_user,
)


def workspaces(request: HttpRequest) -> dict[str, Any]:
    if not isinstance(request.user, User):
        return {}
    membership = get_current_membership(request)
    return {
        "current_membership": membership,
        "current_workspace": membership.workspace if membership else None,
        "user_workspaces": workspaces_for_user(request.user),
    }


def dashboard(request: HttpRequest) -> dict[str, Any]:
    """The dashboard's part about the workspace (registered in apps.py, see core/dashboard.py)."""
    workspace = get_current_workspace(request)
    return {"workspace": workspace, "member_count": workspace.memberships.count()}
