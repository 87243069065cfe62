"""The usage page and its CSV: real amounts, charts with their tables, and who sees what (owners
and admins every call of the workspace, members their own, other workspaces nothing)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.core.tests.test_guardrails import h1_count
from product.llm.tests.factories import LLMCallFactory
from product.observability import charts, rollups

USAGE = reverse("observability:usage-page")
EXPORT = reverse("observability:usage-export")


@pytest.fixture
def calls(acme: Workspace, alice: User, bob: User) -> None:
    """Today: alice asked twice with the large model (one failed), bob chatted once."""
    now = timezone.now()
    LLMCallFactory(workspace=acme, user=alice, model="keel-dev-large", cost_usd=Decimal("0.0012"))
    LLMCallFactory(
        workspace=acme,
        user=alice,
        model="keel-dev-large",
        status="failed",
        cost_usd=Decimal("0"),
        created_at=now - timedelta(minutes=1),
    )
    LLMCallFactory(
        workspace=acme, user=bob, feature="chat", model="bobs-model", cost_usd=Decimal("0.00005")
    )


def page(client: Client, **query: str) -> str:
    response = client.get(USAGE, query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("calls")
def test_it_shows_the_workspace_usage_with_real_amounts(alice_client: Client) -> None:
    html = page(alice_client)
    assert h1_count(html) == 1
    assert 'data-testid="usage-spend">$0.0013<' in html  # 0.0012 + 0.00005, never "$0.00"
    assert 'data-testid="usage-requests">3<' in html
    assert "33.3%" in html, "one failed of three"
    assert "keel-dev-large" in html and "bobs-model" in html
    for chart in ("chart-spend", "chart-tokens", "chart-requests", "chart-latency", "chart-budget"):
        assert re.search(
            rf'<svg class="chart"[^>]*aria-labelledby="{chart}-title {chart}-desc"', html
        )
        assert f'<title id="{chart}-title">' in html
    assert "style=" not in html.split("<main", 1)[1], "the CSP forbids inline styles"


@pytest.mark.django_db
@pytest.mark.usefixtures("calls")
def test_it_groups_by_feature_or_member_and_picks_a_period(alice_client: Client) -> None:
    by_member = page(alice_client, group="member", period="7d")
    assert "Spend per day by member" in by_member
    assert "Alice" in by_member and "Bob" in by_member
    assert 'aria-current="true">Last 7 days<' in by_member
    by_feature = page(alice_client, group="feature", period="30d")
    assert "Spend per day by feature" in by_feature and "chat" in by_feature
    # An unknown choice is the default, like the other pages' filters: the link still opens.
    assert "Spend per day by model" in page(alice_client, group="nope", period="1y")


@pytest.mark.django_db
@pytest.mark.usefixtures("calls")
def test_a_member_sees_only_their_own_calls(bob_client: Client) -> None:
    html = page(bob_client)
    assert "Your model calls" in html
    assert "bobs-model" in html
    assert "keel-dev-large" not in html
    assert 'data-testid="usage-requests">1<' in html


@pytest.mark.django_db
@pytest.mark.usefixtures("calls")
def test_another_workspace_sees_nothing_of_acme(charlie_client: Client) -> None:
    html = page(charlie_client)
    assert "keel-dev-large" not in html and "bobs-model" not in html
    assert 'data-testid="usage-requests">0<' in html
    assert "No model calls in this period" in html
    assert len(list(csv.reader(io.StringIO(charlie_client.get(EXPORT).content.decode())))) == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("calls")
def test_it_shows_the_same_numbers_once_the_hours_are_rolled_up(alice_client: Client) -> None:
    before = page(alice_client)
    rollups.roll_up_usage(now=timezone.now() + timedelta(hours=2))
    after = page(alice_client)
    pick = re.compile(r'data-testid="usage-(?:spend|requests)">([^<]+)<')
    assert pick.findall(after) == pick.findall(before) == ["$0.0013", "3"]


@pytest.mark.django_db
@pytest.mark.usefixtures("calls")
def test_the_csv_has_a_row_per_day_model_feature_and_member(
    alice_client: Client, bob_client: Client
) -> None:
    response = alice_client.get(EXPORT, {"period": "7d"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {(r["model"], r["feature"], r["member"]) for r in rows} == {
        ("keel-dev-large", "ask", "alice@example.com"),
        ("bobs-model", "chat", "bob@example.com"),
    }
    large = next(r for r in rows if r["model"] == "keel-dev-large")
    assert large["day"] == timezone.now().date().isoformat()
    assert (large["requests"], large["failed"], large["error_rate"]) == ("2", "1", "0.5000")
    assert large["cost_usd"] == "0.001200"
    assert large["input_tokens"] == "240"
    assert large["latency_p50_ms"] and large["ttft_p95_ms"]
    mine = list(csv.DictReader(io.StringIO(bob_client.get(EXPORT).content.decode())))
    assert [r["model"] for r in mine] == ["bobs-model"]


@pytest.mark.django_db
def test_the_csv_defuses_cells_a_spreadsheet_would_run(
    acme: Workspace, alice_client: Client
) -> None:
    LLMCallFactory(workspace=acme, feature="=HYPERLINK(1)", model="+x")
    rows = list(csv.DictReader(io.StringIO(alice_client.get(EXPORT).content.decode())))
    assert (rows[0]["feature"], rows[0]["model"]) == ("'=HYPERLINK(1)", "'+x")


def test_it_sends_the_anonymous_to_log_in(client: Client) -> None:
    for url in (USAGE, EXPORT):
        assert client.get(url).status_code == 302


def test_the_axes_of_tiny_amounts_say_distinct_numbers() -> None:
    top = charts.nice_ceiling(0.000015)
    ticks = [charts.format_money_tick(top * n / 4) for n in (0, 2, 4)]
    assert ticks == ["$0.00", "$0.00001", "$0.00002"]
    assert charts.nice_ceiling(0.17) == 0.2 and charts.nice_ceiling(180) == 200


def chart_svg(html: str, key: str) -> str:
    """One chart's drawing, out of the page."""
    match = re.search(rf'<svg class="chart"[^>]*data-chart="{key}".*?</svg>', html, re.S)
    assert match, f"no {key} on the page"
    return match.group(0)


def chart_card(html: str, key: str) -> str:
    """One chart's card: its heading, summary, drawing and table."""
    match = re.search(rf'<section[^>]*id="{key}-card".*?</section>', html, re.S)
    assert match, f"no {key} card on the page"
    return match.group(0)


@pytest.mark.django_db
@pytest.mark.usefixtures("calls")
def test_the_tokens_and_requests_charts_split_by_the_chosen_group(alice_client: Client) -> None:
    today = charts.day_label(timezone.now().date())
    by_model = page(alice_client)
    assert "Tokens per day by model" in by_model
    assert "Requests and errors per day by model" in by_model
    tokens = chart_svg(by_model, "chart-tokens")
    # 2 × (120 in + 30 out) for the large model, 150 for bob's: one stacked segment each.
    assert f"<title>{today} · keel-dev-large: 300</title>" in tokens
    assert f"<title>{today} · bobs-model: 150</title>" in tokens
    requests = chart_svg(by_model, "chart-requests")
    assert f"<title>{today} · keel-dev-large: 1</title>" in requests, "its one success"
    assert f"<title>{today} · bobs-model: 1</title>" in requests
    assert f"<title>{today} · Failed: 1</title>" in requests, "the failure stacked on top"
    # The tables say the same, in the page's order: the groups, then the totals.
    card = chart_card(by_model, "chart-tokens")
    assert re.search(
        r"<th[^>]*>keel-dev-large</th><th[^>]*>bobs-model</th><th[^>]*>Total</th>"
        r"<th[^>]*>In</th><th[^>]*>Out</th>",
        card,
    )
    assert f'<th scope="row">{today}</th><td>300</td><td>150</td><td>450</td><td>360</td>' in card
    assert "450 tokens in all (360 in, 90 out)" in card
    requests_card = chart_card(by_model, "chart-requests")
    assert "keel-dev-large, succeeded" in requests_card
    assert "<td>1</td><td>1</td><td>1</td><td>3</td><td>33.3%</td>" in requests_card

    by_member = page(alice_client, group="member")
    assert f"<title>{today} · Alice: 300</title>" in chart_svg(by_member, "chart-tokens")
    assert f"<title>{today} · Bob: 1</title>" in chart_svg(by_member, "chart-requests")
    by_feature = page(alice_client, group="feature")
    assert f"<title>{today} · chat: 150</title>" in chart_svg(by_feature, "chart-tokens")
    assert "Tokens per day by feature" in by_feature


@pytest.mark.django_db
def test_more_groups_than_colours_fold_into_other_on_every_chart(
    acme: Workspace, alice_client: Client
) -> None:
    for index in range(7):  # the dearest first: the top five keep their own series
        LLMCallFactory(
            workspace=acme, model=f"model-{index}", cost_usd=Decimal("0.001") * (7 - index)
        )
    html = page(alice_client)
    today = charts.day_label(timezone.now().date())
    for key, other in (("chart-spend", "$0.003"), ("chart-tokens", "300"), ("chart-requests", "2")):
        drawing = chart_svg(html, key)
        assert f"<title>{today} · Other: {other}</title>" in drawing, key
        assert "model-4" in drawing and "model-5" not in drawing, key
    # Same group, same colour: model-0 is the first tone on each chart.
    for key in ("chart-spend", "chart-tokens", "chart-requests"):
        first = re.search(r'<g class="chart-bars chart-(s\d)">(.*?)</g>', chart_svg(html, key))
        assert first and first.group(1) == "s1" and "model-0" in first.group(2), key
