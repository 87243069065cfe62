"""Writes for API keys: create (the only moment the full key exists) and revoke.

Only owners and admins manage a workspace's keys; members may look at the list. A key acts with
the scopes it was given in the workspace it was created in, whoever calls with it.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from product.accounts.models import Membership, User
from product.apikeys.auth import LOOKUP_PREFIX_LENGTH, format_api_key, hash_secret
from product.apikeys.models import ApiKey
from product.core.errors import KeelError

# Lowercase letters and digits only: the prefix must never contain the `_` that ends it.
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_BYTES = 32


class ApiKeyRuleError(KeelError):
    """A request the key rules forbid (422 unless a subclass says otherwise); shown as is."""

    default_status = 422
    default_code = "invalid_api_key_request"


class NotAManager(ApiKeyRuleError):
    """Only owners and admins manage keys; a key acts as its maker, so this holds for keys too."""

    default_status = 403
    default_code = "not_a_manager"


class KeyOfAnotherWorkspace(ApiKeyRuleError):
    default_status = 404
    default_code = "not_found"


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    full_key: str  # shown once, never stored


def require_manager(membership: Membership) -> None:
    if not membership.can_manage:
        raise NotAManager(
            f"Only an owner or admin can manage API keys in {membership.workspace.name}."
        )


def _new_prefix() -> str:
    return "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(LOOKUP_PREFIX_LENGTH))


def create_api_key(
    *,
    membership: Membership,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
) -> CreatedKey:
    require_manager(membership)
    valid = {choice.value for choice in ApiKey.Scope}
    chosen = sorted(set(scopes))
    if not chosen or not set(chosen) <= valid:
        raise ApiKeyRuleError("Choose at least one scope: read, write.", code="invalid_scopes")
    if expires_at is not None and expires_at <= timezone.now():
        raise ApiKeyRuleError("The expiry must be in the future.", code="invalid_expiry")
    user: User = membership.user
    typed_prefix = settings.API_KEY_PREFIX
    for _ in range(5):
        prefix, secret = _new_prefix(), secrets.token_urlsafe(_SECRET_BYTES)
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    workspace=membership.workspace,
                    created_by=user,
                    name=name.strip(),
                    typed_prefix=typed_prefix,
                    prefix=prefix,
                    secret_hash=hash_secret(secret),
                    scopes=chosen,
                    expires_at=expires_at,
                )
        except IntegrityError:
            continue  # 36^8 prefixes: a collision is rare, but it must not be a 500
        return CreatedKey(key=key, full_key=format_api_key(typed_prefix, prefix, secret))
    raise RuntimeError("Could not find a free API key prefix.")


def revoke_api_key(*, membership: Membership, key: ApiKey) -> ApiKey:
    """Takes effect at once: saving the row marks the key stale in the verified-key cache
    (product/apikeys/signals.py), so the next request reads `revoked_at` from the database."""
    require_manager(membership)
    if key.workspace_id != membership.workspace_id:
        raise KeyOfAnotherWorkspace("That key belongs to another workspace.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
    return key


def rename_api_key(*, membership: Membership, key: ApiKey, name: str) -> ApiKey:
    require_manager(membership)
    if key.workspace_id != membership.workspace_id:
        raise KeyOfAnotherWorkspace("That key belongs to another workspace.")
    key.name = name.strip() or key.name
    key.save(update_fields=["name", "updated_at"])
    return key
