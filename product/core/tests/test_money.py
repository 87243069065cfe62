"""Money reads as money: two significant digits of a fraction of a cent, never "$0.00" for an
amount that is not zero, and the dashboard's spend card shows what the ledger says."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from product.accounts.models import Workspace
from product.core.money import format_usd
from product.llm.tests.factories import LLMCallFactory


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("0", "$0.00"),
        ("0.0012", "$0.0012"),
        ("0.000123", "$0.00012"),
        ("0.0001", "$0.0001"),
        ("0.00009", "< $0.0001"),
        ("0.001", "$0.001"),
        ("0.012", "$0.012"),
        ("0.5", "$0.50"),
        ("0.999", "$1.00"),
        ("25", "$25.00"),
        ("1234.567", "$1,234.57"),
        ("-0.003", "-$0.003"),
    ],
)
def test_it_shows_amounts_with_two_significant_digits(amount: str, shown: str) -> None:
    assert format_usd(Decimal(amount)) == shown


def test_it_never_shows_zero_for_an_amount_that_is_not() -> None:
    for micro in range(1, 20_000, 7):
        assert format_usd(Decimal(micro) / 1_000_000) not in {"$0.00", "$0.0000", "$0"}


def test_the_filter_names_an_unknown_price() -> None:
    template = Template('{% load money %}{{ a|usd }} · {{ b|usd }} · {{ b|usd:"cost unknown" }}')
    assert template.render(Context({"a": Decimal("0.0012"), "b": None})) == (
        "$0.0012 · unknown · cost unknown"
    )


@pytest.mark.django_db
def test_the_dashboard_card_shows_dozens_of_small_calls_as_real_money(
    alice_client: Client, acme: Workspace
) -> None:
    for _ in range(36):
        LLMCallFactory(workspace=acme, cost_usd=Decimal("0.000034"))
    html = alice_client.get(reverse("core:dashboard-page")).content.decode()
    assert 'data-testid="usage-spent">$0.0012<' in html  # 36 × $0.000034 = $0.001224
    assert "$0.00<" not in html
