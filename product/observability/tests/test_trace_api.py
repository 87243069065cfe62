"""The traces API: list with filters and cursor pages, read one with its spans and calls;
scoped like the pages (owners and admins: every trace; members: their own; others: 404)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from product.accounts.models import Membership, User, Workspace
from product.apikeys.tests.factories import bearer, make_key
from product.observability.models import Trace
from product.observability.tests.factories import TraceFactory, make_chat_trace

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob_api(bob: User, acme: Workspace) -> dict[str, Any]:
    """A key bob made while he was an admin; he is a member again now, and so is his key (a key
    acts as the person who made it, with their role of today)."""
    membership = Membership.objects.get(user=bob, workspace=acme)
    membership.role = Membership.Role.ADMIN
    membership.save(update_fields=["role"])
    headers = bearer(make_key(user=bob, workspace=acme, scopes=("read",)))
    membership.role = Membership.Role.MEMBER
    membership.save(update_fields=["role"])
    return headers


def test_it_reads_a_trace_with_its_spans_calls_and_bodies(
    client: Client, alice: User, acme: Workspace, alice_api: dict[str, Any]
) -> None:
    trace, steps = make_chat_trace(workspace=acme, user=alice)
    response = client.get(f"/api/v1/traces/{trace.trace_id}", **alice_api)
    assert response.status_code == 200
    body = response.json()
    assert body["trace_id"] == trace.trace_id
    assert body["status"] == "ok" and body["call_count"] == 2
    assert [span["kind"] for span in body["spans"]] == ["request", "queue", "job", "retrieval"]
    failed, retry = body["calls"]
    assert failed["status"] == "failed" and failed["error"].startswith("ProviderError")
    assert retry["attempt"] == 2 and retry["retry_of"] == str(steps["failed"].pk)
    assert retry["parent_span_id"] == steps["job"].span_id
    assert retry["kind"] == "generation" and retry["bodies"] == "stored"
    assert retry["request_messages"][1] == {"role": "user", "content": "What is a keel?"}
    assert retry["response_text"] == "The backbone of a boat."
    assert retry["started_at"] < retry["ended_at"]


def test_it_leaves_bodies_out_when_the_workspace_stores_none(
    client: Client, alice: User, acme: Workspace, alice_api: dict[str, Any]
) -> None:
    trace, _ = make_chat_trace(workspace=acme, user=alice, bodies=False)
    retry = client.get(f"/api/v1/traces/{trace.trace_id}", **alice_api).json()["calls"][1]
    assert retry["bodies"] == "not_stored"
    assert retry["request_messages"] is None and retry["response_text"] is None
    assert retry["request_chars"] == 31 and retry["response_chars"] == 23


def test_it_lists_traces_with_filters_and_pages(
    client: Client, alice: User, acme: Workspace, alice_api: dict[str, Any]
) -> None:
    now = timezone.now()
    chat = TraceFactory(workspace=acme, user=alice, feature="chat", started_at=now)
    failed = TraceFactory(
        workspace=acme,
        user=alice,
        feature="ask",
        status=Trace.Status.ERROR,
        started_at=now - timedelta(hours=1),
    )
    old = TraceFactory(
        workspace=acme, user=alice, feature="ask", started_at=now - timedelta(days=3)
    )

    def ids(query: str) -> list[str]:
        response = client.get(f"/api/v1/traces{query}", **alice_api)
        assert response.status_code == 200, response.content
        return [item["trace_id"] for item in response.json()["items"]]

    assert ids("") == [chat.trace_id, failed.trace_id, old.trace_id]
    assert ids("?feature=chat") == [chat.trace_id]
    assert ids("?status=error") == [failed.trace_id]
    since = (now - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    until = (now - timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    assert ids(f"?since={since}&until={until}") == [failed.trace_id]
    assert ids("?until=2000-01-01T00:00:00") == []  # no zone: UTC
    assert ids(f"?since={until}&until={since}") == []  # an empty range
    assert ids("?until=0256-12-15T02:28:52%2B18:40") == []  # an offset Postgres would refuse

    page = client.get("/api/v1/traces?limit=2", **alice_api).json()
    assert [i["trace_id"] for i in page["items"]] == [chat.trace_id, failed.trace_id]
    rest = client.get(page["next"], **alice_api).json()
    assert [i["trace_id"] for i in rest["items"]] == [old.trace_id] and rest["next"] is None


def test_it_refuses_bad_filters_with_422(client: Client, alice_api: dict[str, Any]) -> None:
    for query in (
        "?status=done",
        "?since=yesterday",
        "?until=0.5",  # not Unix seconds: the schema says date-time
        "?since=0001-01-01T00:00:00%2B05:00",  # before year 1 in UTC
        "?cursor=nope",
    ):
        response = client.get(f"/api/v1/traces{query}", **alice_api)
        assert response.status_code == 422, (query, response.content)
        assert response.json()["error"]["message"]


def test_it_scopes_a_members_key_to_the_members_traces(
    client: Client, alice: User, bob: User, acme: Workspace, bob_api: dict[str, Any]
) -> None:
    alices = TraceFactory(workspace=acme, user=alice)
    bobs = TraceFactory(workspace=acme, user=bob)
    listed = client.get("/api/v1/traces", **bob_api).json()["items"]
    assert [item["trace_id"] for item in listed] == [bobs.trace_id]
    assert client.get(f"/api/v1/traces/{bobs.trace_id}", **bob_api).status_code == 200
    hidden = client.get(f"/api/v1/traces/{alices.trace_id}", **bob_api)
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"


def test_it_shows_an_admins_key_every_trace(
    client: Client, alice: User, bob: User, acme: Workspace, bob_api: dict[str, Any]
) -> None:
    Membership.objects.filter(user=bob, workspace=acme).update(role=Membership.Role.ADMIN)
    alices = TraceFactory(workspace=acme, user=alice)
    assert client.get(f"/api/v1/traces/{alices.trace_id}", **bob_api).status_code == 200


def test_it_hides_traces_from_other_workspaces(
    client: Client, alice: User, acme: Workspace, charlie_api: dict[str, Any]
) -> None:
    alices = TraceFactory(workspace=acme, user=alice)
    assert client.get("/api/v1/traces", **charlie_api).json()["items"] == []
    for trace_id in (alices.trace_id, "0" * 32, "not-a-trace"):
        response = client.get(f"/api/v1/traces/{trace_id}", **charlie_api)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
