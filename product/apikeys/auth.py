"""Who is calling the API (an `Actor`), API-key authentication, scopes and the per-caller limit.

Every route receives `request.auth`, an `Actor`: the user, the workspace the call acts in, and the
scopes it holds. API keys act in their own workspace; a browser session acts in its current one.

Key format: ``<typed prefix><8-char lookup prefix>_<secret>``, the typed prefix being
`settings.API_KEY_PREFIX` (``keel_live_`` by default) when the key was made. The typed prefix makes a
leaked key recognisable by secret scanners; the lookup prefix finds the row with one indexed query,
and only a SHA-256 of the secret is stored (a password hasher would cost ~100 ms on every request).
Each row keeps the typed prefix it was made with, so changing the setting never breaks a key that
is already out there.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from product.accounts.models import User, Workspace
from product.accounts.selectors import get_current_membership, get_membership
from product.apikeys.cache import cached_keys, remember_verified_key
from product.apikeys.models import ApiKey
from product.core.errors import NotAllowed
from product.core.ratelimit import check_rate_limit

LOOKUP_PREFIX_LENGTH = 8
MAX_TYPED_PREFIX_LENGTH = 32  # settings.py refuses a longer API_KEY_PREFIX
_LOOKUP = re.compile(rf"[a-z0-9]{{{LOOKUP_PREFIX_LENGTH}}}")
_TYPED = re.compile(rf"[A-Za-z][A-Za-z0-9_]{{0,{MAX_TYPED_PREFIX_LENGTH - 1}}}")
# Writing last_used_at on every call would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION_S = 60


@dataclass(frozen=True)
class Actor:
    user: User
    workspace: Workspace
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({"read", "write"}))
    api_key: ApiKey | None = None

    @property
    def rate_limit_identity(self) -> str:
        """Keys are limited one by one; a browser session is limited per user."""
        if self.api_key is not None:
            return f"key:{self.api_key.pk}"
        return f"user:{self.user.pk}"


def actor(request: HttpRequest) -> Actor:
    found = getattr(request, "auth", None)
    assert isinstance(found, Actor), "route must be authenticated"
    return found


class MissingScope(NotAllowed):
    default_code = "missing_scope"


def require_scope(request: HttpRequest, scope: str) -> Actor:
    who = actor(request)
    if scope not in who.scopes:
        raise MissingScope(f"This API key lacks the '{scope}' scope.")
    return who


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def format_api_key(typed_prefix: str, prefix: str, secret: str) -> str:
    return f"{typed_prefix}{prefix}_{secret}"


def _splits(raw: str) -> list[tuple[str, str, str]]:
    """Every (typed prefix, lookup prefix, secret) that `raw` could be, shortest typed prefix first.

    The typed prefix may itself contain `_` and change over time, and the URL-safe secret may
    contain `_` too, so a key cannot be cut at a fixed place: each place where an 8-character
    lookup prefix followed by `_` could start is a candidate (rarely more than one).
    """
    found = []
    for start in range(1, min(len(raw), MAX_TYPED_PREFIX_LENGTH) + 1):
        end = start + LOOKUP_PREFIX_LENGTH
        lookup, secret = raw[start:end], raw[end + 1 :]
        if raw[end : end + 1] == "_" and secret and _LOOKUP.fullmatch(lookup):
            typed = raw[:start]
            if _TYPED.fullmatch(typed):
                found.append((typed, lookup, secret))
    return found


def parse_api_key(raw: str, typed_prefix: str | None = None) -> tuple[str, str] | None:
    """`<typed prefix><lookup>_<secret>` → (lookup, secret) under one typed prefix (the current
    one by default); None when `raw` is not shaped like such a key."""
    wanted = settings.API_KEY_PREFIX if typed_prefix is None else typed_prefix
    for typed, lookup, secret in _splits(raw):
        if typed == wanted:
            return lookup, secret
    return None


def _verified_by_database(candidates: list[tuple[str, str, str]]) -> ApiKey | None:
    """The key row that (typed prefix, lookup prefix, secret hash) names, with its workspace and
    maker, if that maker is still an active member of the workspace. One query."""
    # A key acts as the person who made it, so it works only while they are an active member of
    # its workspace: removing someone from a workspace stops their keys at once. The maker's
    # password hash is left behind: the row goes into the cache (product/apikeys/cache.py).
    rows = (
        ApiKey.objects.select_related("workspace", "created_by")
        .defer("created_by__password")
        .filter(
            prefix__in={lookup for _typed, lookup, _digest in candidates},
            created_by__is_active=True,
            workspace__memberships__user_id=F("created_by_id"),
        )
    )
    by_lookup = {row.prefix: row for row in rows}
    for typed, lookup, digest in candidates:
        row = by_lookup.get(lookup)
        # The row's own typed prefix: a key made under an earlier API_KEY_PREFIX keeps working.
        if (
            row is not None
            and row.typed_prefix == typed
            and hmac.compare_digest(row.secret_hash, digest)
        ):
            return row
    return None


def authenticate_api_key(raw: str) -> Actor | None:
    """The caller a bearer key names, or None. A key verified before is recognised from the
    cache (product/apikeys/cache.py) without a query; otherwise the database decides."""
    candidates = [(typed, lookup, hash_secret(secret)) for typed, lookup, secret in _splits(raw)]
    if not candidates:
        return None
    cached = cached_keys(digest for _typed, _lookup, digest in candidates)
    key = next(
        (
            hit
            for typed, lookup, digest in candidates
            if isinstance(hit := cached.get(digest), ApiKey)
            and hit.typed_prefix == typed
            and hit.prefix == lookup
        ),
        None,
    )
    if key is None:
        key = _verified_by_database(candidates)
        if key is not None and key.is_active and key.secret_hash not in cached:
            remember_verified_key(key)
    # Expiry is read on every request, cached or not: an entry outliving its key's expiry is moot.
    if key is None or not key.is_active:
        return None
    _note_use(key)
    return Actor(
        user=key.created_by, workspace=key.workspace, scopes=frozenset(key.scopes), api_key=key
    )


# When this process last wrote each key's last_used_at: a cached key's row is not read again, so
# the process remembers, and the UPDATE is conditional, so several processes write a row at most
# once a minute between them. Bounded: forgetting only costs one more conditional UPDATE.
_last_used_noted: dict[uuid.UUID, datetime] = {}
_LAST_USED_NOTED_MAX = 10_000


def _note_use(key: ApiKey) -> None:
    now = timezone.now()
    noted = _last_used_noted.get(key.pk) or key.last_used_at
    if noted is not None and (now - noted).total_seconds() <= LAST_USED_RESOLUTION_S:
        return
    if len(_last_used_noted) >= _LAST_USED_NOTED_MAX:
        _last_used_noted.clear()
    _last_used_noted[key.pk] = now
    stale_before = now - timedelta(seconds=LAST_USED_RESOLUTION_S)
    ApiKey.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale_before), pk=key.pk
    ).update(last_used_at=now)


class BearerKeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`: acts in the key's workspace with the key's scopes."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Actor | None:
        # The rate limit is counted here, not in `authenticate`, so code that only asks "who is
        # this?" (the SSE view) never gets a RateLimited out of it.
        who: Actor | None = super().__call__(request)
        if who is not None:
            check_rate_limit(request, who.rate_limit_identity)
        return who

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        return authenticate_api_key(token)


class WorkspaceSessionAuth(NinjaSessionAuth):
    """The browser calls the same API with its session (CSRF enforced by ninja for cookie auth).

    The call acts in the session's current workspace, or in the one named by `X-Workspace-ID`.
    """

    def __call__(self, request: HttpRequest) -> Actor | None:
        # Without a signed-in session there is nothing to protect from CSRF: answer 401, not a
        # misleading 403 "CSRF failed", to an API client that simply sent no (or a bad) key.
        if not request.user.is_authenticated:
            return None
        who: Actor | None = super().__call__(request)
        if who is not None:
            check_rate_limit(request, who.rate_limit_identity)
        return who

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        workspace_id = request.headers.get("X-Workspace-ID")
        if workspace_id:
            try:
                wanted = uuid.UUID(workspace_id)
            except ValueError as exc:
                raise Http404("No such workspace.") from exc
            membership = get_membership(user=user, workspace_id=wanted)
        else:
            found = get_current_membership(request)
            if found is None:
                return None
            membership = found
        return Actor(user=user, workspace=membership.workspace)


__all__ = [
    "Actor",
    "BearerKeyAuth",
    "MissingScope",
    "WorkspaceSessionAuth",
    "actor",
    "authenticate_api_key",
    "format_api_key",
    "hash_secret",
    "parse_api_key",
    "require_scope",
]
