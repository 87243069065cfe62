"""Keys for tests, made through the service (so they are shaped exactly like real ones)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import factory

from product.accounts.models import Membership, User, Workspace
from product.apikeys.models import ApiKey
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


def bearer(created: CreatedKey) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {created.full_key}"}


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """A key row without its secret (nobody can use it): for pages that list and revoke keys."""

    class Meta:
        model = ApiKey

    name = factory.Sequence(lambda n: f"Key {n}")
    prefix = factory.Sequence(lambda n: f"{n:08d}")
    secret_hash = "0" * 64
    scopes = factory.LazyFunction(lambda: ["read"])
