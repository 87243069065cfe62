"""The verified-key cache: a known key costs no query, and nothing that stops a key is served stale.

Each test first calls the API twice, so the key is verified and then answered from the cache,
before the change whose effect it checks on the very next request.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from product.accounts.models import Membership, User, Workspace
from product.accounts.services import remove_member, rename_workspace
from product.apikeys import auth
from product.apikeys.auth import hash_secret, parse_api_key
from product.apikeys.cache import STALE, cache_name
from product.apikeys.models import ApiKey
from product.apikeys.services import CreatedKey, rename_api_key, revoke_api_key
from product.apikeys.tests.factories import bearer, make_key


def _cached(client: Client, created: CreatedKey) -> dict[str, Any]:
    headers = bearer(created)
    assert client.get("/api/v1/me", **headers).status_code == 200
    assert client.get("/api/v1/me", **headers).status_code == 200
    assert isinstance(cache.get(_name_of(created)), ApiKey)
    return headers


def _name_of(created: CreatedKey) -> str:
    parsed = parse_api_key(created.full_key)
    assert parsed is not None
    return cache_name(hash_secret(parsed[1]))


def _owner(user: User, workspace: Workspace) -> Membership:
    return Membership.objects.select_related("workspace", "user").get(
        user=user, workspace=workspace
    )


def test_it_names_and_stores_a_key_by_its_hash_never_its_secret(
    client: Client, alice: User, acme: Workspace
) -> None:
    created = make_key(user=alice, workspace=acme)
    _cached(client, created)
    parsed = parse_api_key(created.full_key)
    assert parsed is not None
    secret = parsed[1]
    name = _name_of(created)
    assert name == cache_name(created.key.secret_hash)
    assert secret not in name
    stored = pickle.dumps(cache.get(name))
    assert secret.encode() not in stored
    assert created.full_key.encode() not in stored


def test_it_leaves_the_makers_password_hash_out_of_the_cache(
    client: Client, alice: User, acme: Workspace
) -> None:
    created = make_key(user=alice, workspace=acme)
    _cached(client, created)
    stored = pickle.dumps(cache.get(_name_of(created)))
    alice.refresh_from_db()
    assert alice.password
    assert alice.password.encode() not in stored


def test_it_refuses_a_key_revoked_through_the_api_on_the_next_request(
    client: Client, alice: User, acme: Workspace
) -> None:
    created = make_key(user=alice, workspace=acme)
    other = make_key(user=alice, workspace=acme, name="Other")
    headers = _cached(client, created)
    response = client.post(f"/api/v1/keys/{created.key.id}/revoke", **bearer(other))
    assert response.status_code == 200
    assert client.get("/api/v1/me", **headers).status_code == 401


def test_it_refuses_a_key_revoked_in_the_app_on_the_next_request(
    client: Client, alice_client: Client, alice: User, acme: Workspace
) -> None:
    created = make_key(user=alice, workspace=acme)
    headers = _cached(client, created)
    response = alice_client.post(reverse("apikeys:key-revoke", args=[created.key.id]))
    assert response.status_code == 302
    assert client.get("/api/v1/keys", **headers).status_code == 401


def test_it_refuses_a_deleted_key(client: Client, alice: User, acme: Workspace) -> None:
    created = make_key(user=alice, workspace=acme)
    headers = _cached(client, created)
    ApiKey.objects.filter(pk=created.key.pk).delete()  # as the admin's bulk delete does
    assert client.get("/api/v1/me", **headers).status_code == 401


@pytest.fixture
def bobs_key(client: Client, acme: Workspace, bob: User) -> dict[str, Any]:
    """A key bob made as an admin of Acme, verified and cached."""
    Membership.objects.filter(user=bob, workspace=acme).update(role=Membership.Role.ADMIN)
    return _cached(client, make_key(user=bob, workspace=acme))


def test_it_refuses_a_key_whose_maker_was_removed_from_the_workspace(
    client: Client, alice: User, acme: Workspace, bob: User, bobs_key: dict[str, Any]
) -> None:
    remove_member(actor=_owner(alice, acme), target=_owner(bob, acme))
    assert client.get("/api/v1/me", **bobs_key).status_code == 401


def test_it_refuses_a_key_whose_maker_was_deleted(
    client: Client, bob: User, bobs_key: dict[str, Any]
) -> None:
    bob.delete()
    assert client.get("/api/v1/me", **bobs_key).status_code == 401


def test_it_shows_a_renamed_workspace_at_once(client: Client, alice: User, acme: Workspace) -> None:
    created = make_key(user=alice, workspace=acme)
    headers = _cached(client, created)
    rename_workspace(membership=_owner(alice, acme), name="Acme Labs")
    assert client.get("/api/v1/me", **headers).json()["workspace"]["name"] == "Acme Labs"


def test_it_keeps_a_renamed_key_working_and_cached_again(
    client: Client, alice: User, acme: Workspace
) -> None:
    created = make_key(user=alice, workspace=acme)
    headers = _cached(client, created)
    rename_api_key(membership=_owner(alice, acme), key=created.key, name="Renamed")
    assert cache.get(_name_of(created)) == STALE
    assert client.get("/api/v1/me", **headers).status_code == 200


def test_it_costs_no_query_to_log_in(client: Client, alice: User, acme: Workspace) -> None:
    created = make_key(user=alice, workspace=acme)
    _cached(client, created)
    alice.save(update_fields=["last_login"])  # what every log-in writes
    assert isinstance(cache.get(_name_of(created)), ApiKey)


def test_it_never_caches_a_key_revoked_while_it_was_being_verified(
    client: Client, alice: User, acme: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race: a request reads the key's row, the key is revoked (and marked stale), and only
    # then does the request store what it read. The mark must win.
    created = make_key(user=alice, workspace=acme)
    read_row = auth._verified_by_database

    def revoked_meanwhile(candidates: list[tuple[str, str, str]]) -> ApiKey | None:
        row = read_row(candidates)
        revoke_api_key(membership=_owner(alice, acme), key=ApiKey.objects.get(pk=created.key.pk))
        return row

    monkeypatch.setattr(auth, "_verified_by_database", revoked_meanwhile)
    assert client.get("/api/v1/me", **bearer(created)).status_code == 200  # read before revoking
    monkeypatch.setattr(auth, "_verified_by_database", read_row)
    assert cache.get(_name_of(created)) == STALE
    assert client.get("/api/v1/me", **bearer(created)).status_code == 401


def test_it_asks_the_database_when_the_cache_is_down(
    client: Client, alice: User, acme: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = make_key(user=alice, workspace=acme)

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("cache away")

    monkeypatch.setattr(cache, "get_many", down)
    monkeypatch.setattr(cache, "add", down)
    assert client.get("/api/v1/me", **bearer(created)).status_code == 200


def test_it_asks_the_database_when_an_entry_cannot_be_read(
    client: Client, alice: User, acme: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What an entry pickled by a release with other models looks like to this one.
    created = make_key(user=alice, workspace=acme)
    headers = _cached(client, created)

    read_many = cache.get_many

    def unreadable(names: list[str], *args: Any, **kwargs: Any) -> Any:
        if any(name.startswith("api-key:") for name in names):
            raise pickle.UnpicklingError("invalid load key")
        return read_many(names, *args, **kwargs)  # the rate limit's counter, on the embedded cache

    monkeypatch.setattr(cache, "get_many", unreadable)
    assert client.get("/api/v1/me", **headers).status_code == 200
