"""Template context every page needs: the product name, the current workspace, the switcher, the
dev-model banner."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from product.accounts.models import User
from product.accounts.selectors import get_current_membership, workspaces_for_user

THEMES = ("system", "light", "dark")
THEME_COOKIE = "keel_theme"


def keel(request: HttpRequest) -> dict[str, Any]:
    # The theme is read server-side from a cookie (set by app.js) so a dark page never flashes light.
    theme = request.COOKIES.get(THEME_COOKIE, "system")
    context: dict[str, Any] = {
        "product_name": settings.PRODUCT_NAME,
        "uses_devmodel": settings.LLM_USES_DEVMODEL,
        "theme": theme if theme in THEMES else "system",
    }
    if isinstance(request.user, User):
        membership = get_current_membership(request)
        context["current_membership"] = membership
        context["current_workspace"] = membership.workspace if membership else None
        context["user_workspaces"] = workspaces_for_user(request.user)
    return context
