"""GET /api/v1/keys: what a page of keys costs and shows."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from product.accounts.models import User, Workspace
from product.apikeys.services import revoke_api_key
from product.apikeys.tests.factories import bearer, make_key


def test_it_lists_a_page_with_one_query_once_the_key_is_known(
    client: Client, alice: User, acme: Workspace
) -> None:
    created = make_key(user=alice, workspace=acme)
    for n in range(5):
        make_key(user=alice, workspace=acme, name=f"Key {n}")
    headers = bearer(created)
    assert client.get("/api/v1/keys", **headers).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/keys?limit=3", **headers)
    assert response.status_code == 200
    assert len(response.json()["items"]) == 3
    # No query per row: every column the schema shows is in the page's one SELECT. The embedded
    # default's cache is a table too; its reads and counters are not the page.
    sql = [q["sql"] for q in queries.captured_queries if "keel_cache" not in q["sql"]]
    sql = [statement for statement in sql if "SAVEPOINT" not in statement]
    assert len(sql) == 1, sql


def test_it_shows_every_field_of_a_key(client: Client, alice: User, acme: Workspace) -> None:
    created = make_key(user=alice, workspace=acme, scopes=("read",), name="CI deploy")
    other = make_key(user=alice, workspace=acme, name="Old")
    membership = acme.memberships.get(user=alice)
    revoke_api_key(membership=membership, key=other.key)
    items = client.get("/api/v1/keys", **bearer(created)).json()["items"]
    by_name = {item["name"]: item for item in items}
    shown = by_name["CI deploy"]
    assert shown["id"] == str(created.key.id)
    assert shown["prefix"] == created.key.prefix
    assert shown["scopes"] == ["read"]
    assert shown["status"] == "active"
    assert shown["created_at"]
    assert shown["last_used_at"] is not None
    assert shown["expires_at"] is None
    assert shown["revoked_at"] is None
    assert by_name["Old"]["status"] == "revoked"
    assert by_name["Old"]["revoked_at"] is not None
