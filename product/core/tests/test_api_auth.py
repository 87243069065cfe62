"""Authentication, scopes, expiry, revocation, last-used, CSRF and rate limits of /api/v1/."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from product.accounts.models import Membership, User, Workspace
from product.apikeys.services import revoke_api_key
from product.apikeys.tests.factories import bearer, make_key


def test_it_authenticates_with_a_bearer_key(client: Client, alice: User, acme: Workspace) -> None:
    created = make_key(user=alice, workspace=acme, scopes=("read",))
    response = client.get("/api/v1/me", **bearer(created))
    assert response.status_code == 200
    assert response.json() == {
        "email": "alice@example.com",
        "workspace": {"id": str(acme.id), "name": "Acme"},
        "scopes": ["read"],
        "key_prefix": created.key.prefix,
    }


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer nonsense",
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer keel_live_short_secret",
        "Bearer keel_live_abcdefgh_wrongsecret",
    ],
)
def test_it_answers_401_with_www_authenticate(
    client: Client, alice: User, acme: Workspace, authorization: str | None
) -> None:
    make_key(user=alice, workspace=acme)
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/api/v1/me", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="keel"'
    assert response.json()["error"]["code"] == "unauthenticated"


def test_it_rejects_a_right_prefix_with_a_wrong_secret(
    client: Client, alice: User, acme: Workspace
) -> None:
    created = make_key(user=alice, workspace=acme)
    forged = f"keel_live_{created.key.prefix}_{'x' * 43}"
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {forged}").status_code == 401


def test_it_rejects_an_expired_key(
    client: Client, alice: User, acme: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = make_key(user=alice, workspace=acme, expires_at=timezone.now() + timedelta(minutes=5))
    assert client.get("/api/v1/me", **bearer(created)).status_code == 200
    # The key is cached now; its expiry is still read on every request.
    later = timezone.now() + timedelta(minutes=6)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.get("/api/v1/me", **bearer(created)).status_code == 401


def test_it_rejects_a_revoked_key_at_once(client: Client, alice: User, acme: Workspace) -> None:
    created = make_key(user=alice, workspace=acme)
    assert client.get("/api/v1/keys", **bearer(created)).status_code == 200
    assert client.get("/api/v1/keys", **bearer(created)).status_code == 200  # from the cache
    revoke_api_key(membership=Membership.objects.get(user=alice, workspace=acme), key=created.key)
    assert client.get("/api/v1/keys", **bearer(created)).status_code == 401


def test_it_lets_a_key_revoke_itself(client: Client, alice: User, acme: Workspace) -> None:
    created = make_key(user=alice, workspace=acme)
    response = client.post(f"/api/v1/keys/{created.key.id}/revoke", **bearer(created))
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert client.get("/api/v1/me", **bearer(created)).status_code == 401


def test_it_records_last_used_at_most_once_a_minute(
    client: Client, alice: User, acme: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = make_key(user=alice, workspace=acme)
    assert created.key.last_used_at is None
    client.get("/api/v1/me", **bearer(created))
    created.key.refresh_from_db()
    first = created.key.last_used_at
    assert first is not None
    client.get("/api/v1/me", **bearer(created))
    created.key.refresh_from_db()
    assert created.key.last_used_at == first
    later = timezone.now() + timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    client.get("/api/v1/me", **bearer(created))
    created.key.refresh_from_db()
    assert created.key.last_used_at > first


def _sql_of(queries: CaptureQueriesContext) -> list[str]:
    # The embedded default's cache is a table as well: its reads, its rate-limit counting (and the
    # savepoints it writes in) are not authentication. With Redis there is nothing to leave out.
    return [
        q["sql"]
        for q in queries.captured_queries
        if "keel_cache" not in q["sql"] and "SAVEPOINT" not in q["sql"]
    ]


def test_it_verifies_a_new_key_with_one_query_and_then_none(
    client: Client, alice: User, acme: Workspace
) -> None:
    created = make_key(user=alice, workspace=acme)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/api/v1/me", **bearer(created)).status_code == 200
    # The check itself, then the first last_used_at.
    assert len(_sql_of(first)) == 2, _sql_of(first)
    with CaptureQueriesContext(connection) as repeat:
        assert client.get("/api/v1/me", **bearer(created)).status_code == 200
    assert _sql_of(repeat) == []


def test_it_enforces_scopes(client: Client, alice: User, acme: Workspace) -> None:
    reader = make_key(user=alice, workspace=acme, scopes=("read",))
    writer = make_key(user=alice, workspace=acme, scopes=("write",))
    response = client.post(f"/api/v1/keys/{reader.key.id}/revoke", **bearer(reader))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"
    assert client.get("/api/v1/keys", **bearer(writer)).status_code == 403
    reader.key.refresh_from_db()
    assert reader.key.revoked_at is None


def test_it_stops_a_members_key_from_managing_keys(
    client: Client, alice: User, acme: Workspace, bob: User
) -> None:
    alices = make_key(user=alice, workspace=acme)
    # Bob was an admin when the key was made, then became a member: the key follows his role.
    Membership.objects.filter(user=bob, workspace=acme).update(role=Membership.Role.ADMIN)
    bobs = make_key(user=bob, workspace=acme)
    Membership.objects.filter(user=bob, workspace=acme).update(role=Membership.Role.MEMBER)
    response = client.post(f"/api/v1/keys/{alices.key.id}/revoke", **bearer(bobs))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_a_manager"
    assert client.get("/api/v1/keys", **bearer(bobs)).status_code == 200


def test_it_acts_in_the_keys_workspace_only(
    client: Client, alice: User, acme: Workspace, charlie: User
) -> None:
    alices = make_key(user=alice, workspace=acme)
    corner = Workspace.objects.get(name="Charlie's corner")
    charlies = make_key(user=charlie, workspace=corner)
    listed = client.get("/api/v1/keys", **bearer(charlies)).json()["items"]
    assert [k["id"] for k in listed] == [str(charlies.key.id)]
    for method, url in [
        ("get", f"/api/v1/keys/{alices.key.id}"),
        ("post", f"/api/v1/keys/{alices.key.id}/revoke"),
    ]:
        response = getattr(client, method)(url, **bearer(charlies))
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"


def test_it_accepts_the_browser_session(alice_client: Client, acme: Workspace) -> None:
    response = alice_client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["workspace"]["id"] == str(acme.id)
    assert response.json()["key_prefix"] is None


def test_it_lets_the_session_pick_a_workspace_it_belongs_to(
    alice_client: Client, acme: Workspace, charlie: User
) -> None:
    corner = Workspace.objects.get(name="Charlie's corner")
    assert alice_client.get("/api/v1/me", HTTP_X_WORKSPACE_ID=str(acme.id)).status_code == 200
    response = alice_client.get("/api/v1/me", HTTP_X_WORKSPACE_ID=str(corner.id))
    assert response.status_code == 404
    assert alice_client.get("/api/v1/me", HTTP_X_WORKSPACE_ID="nope").status_code == 404


def test_it_enforces_csrf_for_session_writes(alice: User, acme: Workspace) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    created = make_key(user=alice, workspace=acme)
    url = f"/api/v1/keys/{created.key.id}/revoke"
    refused = browser.post(url)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    created.key.refresh_from_db()
    assert created.key.revoked_at is None
    browser.get("/keys/")  # the page sets the CSRF cookie, as the real browser gets it
    token = browser.cookies["csrftoken"].value
    assert browser.post(url, HTTP_X_CSRFTOKEN=token).status_code == 200
    created.key.refresh_from_db()
    assert created.key.revoked_at is not None


def test_it_does_not_need_csrf_with_a_key(alice: User, acme: Workspace) -> None:
    created = make_key(user=alice, workspace=acme)
    api_client = Client(enforce_csrf_checks=True)
    response = api_client.post(f"/api/v1/keys/{created.key.id}/revoke", **bearer(created))
    assert response.status_code == 200


def test_it_answers_401_not_403_to_an_anonymous_post(client: Client) -> None:
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/api/v1/keys/00000000-0000-0000-0000-000000000000/revoke")
    assert response.status_code == 401


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_it_rate_limits_each_key(client: Client, alice: User, acme: Workspace) -> None:
    created = make_key(user=alice, workspace=acme)
    other = make_key(user=alice, workspace=acme)
    remaining = []
    for _ in range(3):
        response = client.get("/api/v1/me", **bearer(created))
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "3"
        remaining.append(response["X-RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    limited = client.get("/api/v1/me", **bearer(created))
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited["X-RateLimit-Remaining"] == "0"
    assert int(limited["X-RateLimit-Reset"]) > timezone.now().timestamp()
    # Another key has its own budget.
    assert client.get("/api/v1/me", **bearer(other)).status_code == 200


@override_settings(API_RATE_LIMIT_PER_MINUTE=2)
def test_it_rate_limits_a_session_per_user(alice_client: Client) -> None:
    assert alice_client.get("/api/v1/me").status_code == 200
    assert alice_client.get("/api/v1/me").status_code == 200
    assert alice_client.get("/api/v1/me").status_code == 429


def test_it_stops_a_key_when_its_maker_leaves_the_workspace(
    client: Client, alice: User, acme: Workspace, bob: User
) -> None:
    Membership.objects.filter(user=bob, workspace=acme).update(role=Membership.Role.ADMIN)
    bobs = make_key(user=bob, workspace=acme)
    assert client.get("/api/v1/me", **bearer(bobs)).status_code == 200
    Membership.objects.filter(user=bob, workspace=acme).delete()
    assert client.get("/api/v1/me", **bearer(bobs)).status_code == 401


def test_it_stops_a_deactivated_users_keys(client: Client, alice: User, acme: Workspace) -> None:
    created = make_key(user=alice, workspace=acme)
    assert client.get("/api/v1/me", **bearer(created)).status_code == 200
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert client.get("/api/v1/me", **bearer(created)).status_code == 401


def test_it_counts_a_hit_in_one_redis_round_trip(
    client: Client, alice: User, acme: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache
    from redis.client import Pipeline

    calls: list[int] = []
    original = Pipeline.execute

    def counting(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", counting)
    created = make_key(user=alice, workspace=acme)
    response = client.get("/api/v1/me", **bearer(created))
    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"]
    # With Redis: one pipelined round trip; the embedded database cache counts without Redis.
    assert calls == ([1] if isinstance(caches["default"], RedisCache) else [])
