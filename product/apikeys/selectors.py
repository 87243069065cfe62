"""Reads for API keys. `get_key_for_member` is the one door to a key."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from product.accounts.models import Membership, Workspace
from product.apikeys.models import ApiKey


def keys_for_workspace(*, workspace: Workspace) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(workspace=workspace).select_related("created_by")


# What ApiKeyOut shows (its status reads revoked_at and expires_at). Loading only these columns
# makes each row of a page cheaper to build: no foreign keys to set, no hash to carry.
API_FIELDS = (
    "id",
    "name",
    "prefix",
    "scopes",
    "created_at",
    "last_used_at",
    "expires_at",
    "revoked_at",
)


def keys_for_api(*, workspace: Workspace) -> QuerySet[ApiKey]:
    """The API's list: no join, ApiKeyOut does not show who made the key."""
    return ApiKey.objects.filter(workspace=workspace).only(*API_FIELDS)


def get_key_for_member(*, membership: Membership, key_id: uuid.UUID | str) -> ApiKey:
    """A key of the member's workspace; 404 for any other (no hint that it exists)."""
    try:
        return ApiKey.objects.select_related("created_by", "workspace").get(
            pk=key_id, workspace_id=membership.workspace_id
        )
    except (ApiKey.DoesNotExist, ValueError) as exc:
        raise Http404("No such API key.") from exc


def get_key_in_workspace(*, workspace: Workspace, key_id: uuid.UUID | str) -> ApiKey:
    try:
        return ApiKey.objects.select_related("created_by").get(pk=key_id, workspace=workspace)
    except (ApiKey.DoesNotExist, ValueError) as exc:
        raise Http404("No such API key.") from exc
