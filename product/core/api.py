"""The API's shared plumbing: who is calling (an `Actor`), the error envelope, scopes.

Every route receives `request.auth`, an `Actor`: the user, the workspace the call acts in, and the
scopes it holds. API keys act in their own workspace; a browser session acts in its current one.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyHeader, HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from product.accounts.models import User, Workspace
from product.accounts.selectors import get_current_membership, get_membership
from product.apikeys.models import ApiKey

API_KEY_PREFIX = "keel_live_"


class ApiError(Exception):
    """Raise from a route or service to answer with the error envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


@dataclass(frozen=True)
class Actor:
    user: User
    workspace: Workspace
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({"read", "write"}))
    api_key: ApiKey | None = None


def actor(request: HttpRequest) -> Actor:
    found = getattr(request, "auth", None)
    assert isinstance(found, Actor), "route must be authenticated"
    return found


def require_scope(request: HttpRequest, scope: str) -> Actor:
    who = actor(request)
    if scope not in who.scopes:
        raise ApiError(403, "missing_scope", f"This API key lacks the '{scope}' scope.")
    return who


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_api_key(raw: str) -> tuple[str, str] | None:
    """`keel_live_<prefix>_<secret>` → (prefix, secret); None when it is not shaped like a key."""
    if not raw.startswith(API_KEY_PREFIX):
        return None
    prefix, sep, secret = raw[len(API_KEY_PREFIX) :].partition("_")
    if not sep or len(prefix) != 8 or not secret:
        return None
    return prefix, secret


def authenticate_api_key(raw: str) -> Actor | None:
    parsed = parse_api_key(raw)
    if parsed is None:
        return None
    prefix, secret = parsed
    key = ApiKey.objects.select_related("workspace", "created_by").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(secret)):
        return None
    if not key.is_active:
        return None
    now = timezone.now()
    # Write last-used at most once a minute: a busy key must not turn every read into a write.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return Actor(
        user=key.created_by, workspace=key.workspace, scopes=frozenset(key.scopes), api_key=key
    )


class BearerKeyAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        return authenticate_api_key(token)


class WorkspaceSessionAuth(NinjaSessionAuth):
    """The browser calls the same API with its session (CSRF enforced by ninja for cookie auth).

    The call acts in the session's current workspace, or in the one named by `X-Workspace-ID`.
    """

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        workspace_id = request.headers.get("X-Workspace-ID")
        if workspace_id:
            membership = get_membership(user=user, workspace_id=workspace_id)
        else:
            found = get_current_membership(request)
            if found is None:
                return None
            membership = found
        return Actor(user=user, workspace=membership.workspace)


__all__ = [
    "APIKeyHeader",
    "Actor",
    "ApiError",
    "BearerKeyAuth",
    "WorkspaceSessionAuth",
    "actor",
    "error_body",
    "require_scope",
]
