"""API keys' first step on the dashboard (registered in apps.py, see product/core/dashboard.py)."""

from __future__ import annotations

from django.http import HttpRequest

from product.accounts.dashboard import is_manager
from product.accounts.selectors import get_current_workspace
from product.apikeys.models import ApiKey
from product.core.dashboard import FirstStep


def has_api_key(request: HttpRequest) -> bool:
    # A revoked key still counts: the workspace has been through the step.
    return ApiKey.objects.filter(workspace=get_current_workspace(request)).exists()


first_step = FirstStep(
    title="Create an API key",
    text="A scoped key lets your own code call /api/v1/ for this workspace.",
    url_name="apikeys:key-create",
    done=has_api_key,
    position=40,
    # Keys are managed by the same owners and admins who invite (apikeys/views.py `_manager`).
    applies=is_manager,
)
