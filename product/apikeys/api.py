"""API keys over the API: list, read, rename, revoke. Keys are created only in the app, by a
person, so a leaked key can never mint another one (but it can revoke itself)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema

from product.accounts.models import Membership
from product.accounts.selectors import get_membership
from product.apikeys.auth import actor, require_scope
from product.apikeys.models import ApiKey
from product.apikeys.selectors import get_key_in_workspace, keys_for_api
from product.apikeys.services import rename_api_key as rename_key
from product.apikeys.services import require_manager
from product.apikeys.services import revoke_api_key as revoke_key
from product.core.pagination import cursor_paginated

router = Router(tags=["api keys"])


class ApiKeyOut(Schema):
    id: uuid.UUID
    name: str = Field(examples=["CI deploy"])
    prefix: str = Field(
        description=f"The lookup prefix: the key reads `{settings.API_KEY_PREFIX}<prefix>_<secret>`.",
        examples=["a1b2c3d4"],
    )
    scopes: list[str] = Field(examples=[["read", "write"]])
    status: str = Field(description="active, expired or revoked", examples=["active"])
    created_at: datetime
    last_used_at: datetime | None = Field(
        description="Updated at most once a minute.", examples=[None]
    )
    expires_at: datetime | None
    revoked_at: datetime | None

    @staticmethod
    def resolve_status(obj: ApiKey) -> str:
        if obj.revoked_at is not None:
            return "revoked"
        return "active" if obj.is_active else "expired"


class WorkspaceRef(Schema):
    id: uuid.UUID
    name: str = Field(examples=["Acme"])


class MeOut(Schema):
    """Who the API thinks you are: the user, the workspace the call acts in, the scopes."""

    email: str = Field(examples=["alice@example.com"])
    workspace: WorkspaceRef
    scopes: list[str] = Field(examples=[["read"]])
    key_prefix: str | None = Field(
        description="The calling key's prefix; null for a browser session.", examples=["a1b2c3d4"]
    )


@router.get("/me", response=MeOut, tags=["auth"], summary="Who is calling")
def get_me(request: HttpRequest) -> dict[str, Any]:
    who = actor(request)
    return {
        "email": who.user.email,
        "workspace": who.workspace,
        "scopes": sorted(who.scopes),
        "key_prefix": who.api_key.prefix if who.api_key else None,
    }


@router.get(
    "/keys",
    response=list[ApiKeyOut],
    summary="List the workspace's API keys",
)
@cursor_paginated
def list_api_keys(request: HttpRequest) -> Any:
    who = require_scope(request, "read")
    return keys_for_api(workspace=who.workspace)


@router.get(
    "/keys/{key_id}",
    response=ApiKeyOut,
    summary="Get one API key",
)
def get_api_key(request: HttpRequest, key_id: uuid.UUID) -> ApiKey:
    who = require_scope(request, "read")
    return get_key_in_workspace(workspace=who.workspace, key_id=key_id)


class ApiKeyPatchIn(Schema):
    name: str = Field(min_length=1, max_length=100, examples=["CI deploy (old)"])


def _manager_membership(request: HttpRequest) -> Membership:
    """Writes to keys need the write scope and a caller who manages the workspace.

    A key acts as the person who created it: when they stop being an owner or admin, their keys
    stop managing keys too.
    """
    who = require_scope(request, "write")
    membership = get_membership(user=who.user, workspace_id=who.workspace.pk)
    require_manager(membership)
    return membership


@router.patch("/keys/{key_id}", response=ApiKeyOut, summary="Rename an API key")
def rename_api_key(request: HttpRequest, key_id: uuid.UUID, payload: ApiKeyPatchIn) -> ApiKey:
    who = require_scope(request, "read")
    key = get_key_in_workspace(workspace=who.workspace, key_id=key_id)
    membership = _manager_membership(request)
    return rename_key(membership=membership, key=key, name=payload.name)


@router.post(
    "/keys/{key_id}/revoke",
    response=ApiKeyOut,
    summary="Revoke an API key (at once; revoking twice is harmless)",
)
def revoke_api_key(request: HttpRequest, key_id: uuid.UUID) -> ApiKey:
    who = require_scope(request, "read")
    key = get_key_in_workspace(workspace=who.workspace, key_id=key_id)
    membership = _manager_membership(request)
    return revoke_key(membership=membership, key=key)
