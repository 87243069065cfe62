"""GET /api/v1/usage: rows by day × model × feature × member, totals and the budget, for the
key's workspace; a member's key counts that member's calls; bad periods are a readable 422."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.apikeys.tests.factories import bearer, make_key
from product.llm.tests.factories import LLMCallFactory


@pytest.fixture
def calls(acme: Workspace, alice: User, bob: User) -> None:
    LLMCallFactory(workspace=acme, user=alice, model="keel-dev-large", cost_usd=Decimal("0.0012"))
    LLMCallFactory(
        workspace=acme,
        user=alice,
        feature="chat",
        status="failed",
        cost_usd=None,
        cost_unknown=True,
    )
    LLMCallFactory(workspace=acme, user=bob, feature="chat", cost_usd=Decimal("0.0001"))


@pytest.mark.django_db
@pytest.mark.usefixtures("calls")
def test_it_answers_rows_totals_and_the_budget(client: Client, alice_api: dict[str, Any]) -> None:
    response = client.get("/api/v1/usage", **alice_api)
    assert response.status_code == 200
    body = response.json()
    today = timezone.now().date()
    assert body["since"] == today.replace(day=1).isoformat()
    assert body["until"] == today.isoformat()
    assert body["scope"] == "workspace"
    assert len(body["rows"]) == 3
    large = next(row for row in body["rows"] if row["model"] == "keel-dev-large")
    assert large["day"] == today.isoformat()
    assert large["feature"] == "ask" and large["member_email"] == "alice@example.com"
    assert Decimal(large["cost_usd"]) == Decimal("0.0012")
    assert large["latency_p50_ms"] is not None and large["ttft_p95_ms"] is not None
    totals = body["totals"]
    assert (totals["requests"], totals["failed"], totals["cost_unknown_calls"]) == (3, 1, 1)
    assert Decimal(totals["cost_usd"]) == Decimal("0.0013")
    assert totals["error_rate"] == pytest.approx(1 / 3)
    budget = body["budget"]
    assert Decimal(budget["spent_usd"]) == Decimal("0.0013")
    assert Decimal(budget["budget_usd"]) > 0
    assert budget["month"] == today.replace(day=1).isoformat()


@pytest.mark.django_db
@pytest.mark.usefixtures("calls")
def test_it_groups_by_one_dimension(client: Client, alice_api: dict[str, Any]) -> None:
    rows = client.get("/api/v1/usage?group_by=feature", **alice_api).json()["rows"]
    assert sorted((r["feature"], r["requests"]) for r in rows) == [("ask", 1), ("chat", 2)]
    assert {r["model"] for r in rows} == {None}
    members = client.get("/api/v1/usage?group_by=member", **alice_api).json()["rows"]
    assert sorted(r["member_email"] for r in members) == ["alice@example.com", "bob@example.com"]


@pytest.mark.django_db
@pytest.mark.usefixtures("calls")
def test_a_member_counts_their_own_calls(bob_client: Client) -> None:
    # Only owners and admins make API keys; a member calls the API from the browser session.
    body = bob_client.get("/api/v1/usage").json()
    assert body["scope"] == "member"
    assert [r["member_email"] for r in body["rows"]] == ["bob@example.com"]
    assert body["totals"]["requests"] == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("calls")
def test_another_workspace_gets_nothing_of_acme(
    client: Client, charlie_api: dict[str, Any]
) -> None:
    body = client.get("/api/v1/usage", **charlie_api).json()
    assert body["rows"] == [] and body["totals"]["requests"] == 0
    assert Decimal(body["budget"]["spent_usd"]) == 0


@pytest.mark.django_db
def test_it_refuses_a_bad_period_with_a_readable_422(
    client: Client, alice_api: dict[str, Any]
) -> None:
    backwards = client.get("/api/v1/usage?since=2025-03-10&until=2025-03-01", **alice_api)
    assert backwards.status_code == 422
    assert "before" in backwards.json()["error"]["message"]
    too_long = client.get("/api/v1/usage?since=2020-01-01&until=2025-01-01", **alice_api)
    assert too_long.status_code == 422
    assert "366 days" in too_long.json()["error"]["message"]
    for query in ("since=yesterday", "group_by=planet"):
        response = client.get(f"/api/v1/usage?{query}", **alice_api)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.django_db
def test_it_needs_the_read_scope(client: Client, acme: Workspace, alice: User) -> None:
    key = make_key(user=alice, workspace=acme, scopes=("write",))
    assert client.get("/api/v1/usage", **bearer(key)).status_code == 403
    assert client.get("/api/v1/usage").status_code == 401
