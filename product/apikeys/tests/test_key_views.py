from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.apikeys.auth import hash_secret, parse_api_key
from product.apikeys.models import ApiKey
from product.apikeys.tests.factories import bearer, make_key


def _create(client: Client, **data: object) -> Any:
    payload = {"name": "CI deploy", "scopes": ["read", "write"], **data}
    return client.post(reverse("apikeys:key-create"), payload)


def test_it_shows_the_full_key_once(alice_client: Client, acme: Workspace) -> None:
    response = _create(alice_client)
    assert response.status_code == 201
    full_key = response.context["created"].full_key
    assert full_key.startswith("keel_live_")
    assert full_key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    listing = alice_client.get(reverse("apikeys:key-list")).content.decode()
    key = ApiKey.objects.get(workspace=acme)
    assert f"keel_live_{key.prefix}_" in listing
    assert full_key not in listing


def test_it_stores_only_a_hash(alice_client: Client, acme: Workspace) -> None:
    full_key = _create(alice_client).context["created"].full_key
    parsed = parse_api_key(full_key)
    assert parsed is not None
    prefix, secret = parsed
    key = ApiKey.objects.get(workspace=acme)
    assert key.prefix == prefix
    assert key.secret_hash == hash_secret(secret)
    assert all(secret not in str(getattr(key, f.attname)) for f in ApiKey._meta.concrete_fields)
    assert key.scopes == ["read", "write"]
    assert key.created_by.email == "alice@example.com"


def test_it_creates_a_key_with_an_expiry(alice_client: Client, acme: Workspace) -> None:
    tomorrow = (timezone.now() + timedelta(days=2)).date()
    response = _create(alice_client, scopes=["read"], expires_on=tomorrow.isoformat())
    assert response.status_code == 201
    key = ApiKey.objects.get(workspace=acme)
    assert key.scopes == ["read"]
    assert key.expires_at is not None and key.expires_at.date() == tomorrow


def test_it_rejects_an_expiry_in_the_past(alice_client: Client, acme: Workspace) -> None:
    yesterday = (timezone.now() - timedelta(days=1)).date()
    response = _create(alice_client, expires_on=yesterday.isoformat())
    assert response.status_code == 200
    assert "Pick a day after today." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_it_requires_a_scope(alice_client: Client) -> None:
    response = _create(alice_client, scopes=[])
    assert response.status_code == 200
    assert response.context["form"].errors["scopes"]
    assert not ApiKey.objects.exists()


def test_it_lets_members_view_but_not_manage(
    bob_client: Client, alice: User, acme: Workspace, bob: User
) -> None:
    created = make_key(user=alice, workspace=acme, name="Deploy")
    page = bob_client.get(reverse("apikeys:key-list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Deploy" in html
    assert reverse("apikeys:key-create") not in html
    assert bob_client.get(reverse("apikeys:key-create")).status_code == 403
    assert _create(bob_client).status_code == 403
    revoke_url = reverse("apikeys:key-revoke", args=[created.key.id])
    assert bob_client.post(revoke_url).status_code == 403
    created.key.refresh_from_db()
    assert created.key.revoked_at is None


def test_it_revokes_after_a_confirmation(
    alice_client: Client, alice: User, acme: Workspace
) -> None:
    created = make_key(user=alice, workspace=acme)
    api = Client()
    assert api.get("/api/v1/me", **bearer(created)).status_code == 200
    revoke_url = reverse("apikeys:key-revoke", args=[created.key.id])
    confirm = alice_client.get(revoke_url)
    assert confirm.status_code == 200
    assert "stops working at once" in confirm.content.decode()
    assert alice_client.post(revoke_url).status_code == 302
    created.key.refresh_from_db()
    assert created.key.revoked_at is not None
    assert api.get("/api/v1/me", **bearer(created)).status_code == 401
    assert "revoked" in alice_client.get(reverse("apikeys:key-list")).content.decode()


def test_it_hides_other_workspaces_keys(
    charlie_client: Client, alice: User, acme: Workspace
) -> None:
    created = make_key(user=alice, workspace=acme, name="Secret project")
    assert "Secret project" not in charlie_client.get(reverse("apikeys:key-list")).content.decode()
    revoke_url = reverse("apikeys:key-revoke", args=[created.key.id])
    assert charlie_client.get(revoke_url).status_code == 404
    assert charlie_client.post(revoke_url).status_code == 404
    created.key.refresh_from_db()
    assert created.key.revoked_at is None


def test_it_serves_the_list_fragment_to_htmx(
    alice_client: Client, alice: User, acme: Workspace
) -> None:
    make_key(user=alice, workspace=acme, name="Deploy")
    response = alice_client.get(reverse("apikeys:key-list"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="key-list"' in html
    assert "<h1>" not in html


def test_it_has_one_h1_per_page(alice_client: Client, alice: User, acme: Workspace) -> None:
    created = make_key(user=alice, workspace=acme)
    for url in [
        reverse("apikeys:key-list"),
        reverse("apikeys:key-create"),
        reverse("apikeys:key-revoke", args=[created.key.id]),
    ]:
        response = alice_client.get(url)
        assert response.status_code == 200, url
        assert response.content.decode().count("<h1") == 1, url


def test_it_requires_sign_in(client: Client) -> None:
    response = client.get(reverse("apikeys:key-list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
