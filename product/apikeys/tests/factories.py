"""Keys for tests, made through the service (so they are shaped exactly like real ones)."""

from __future__ import annotations

from datetime import datetime

from product.accounts.models import Membership, User, Workspace
from product.apikeys.services import CreatedKey, create_api_key


def make_key(
    *,
    user: User,
    workspace: Workspace,
    scopes: tuple[str, ...] = ("read", "write"),
    name: str = "Test key",
    expires_at: datetime | None = None,
) -> CreatedKey:
    membership = Membership.objects.get(user=user, workspace=workspace)
    return create_api_key(
        membership=membership, name=name, scopes=list(scopes), expires_at=expires_at
    )


def bearer(created: CreatedKey) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {created.full_key}"}
