"""`{% load money %}` and `{{ amount|usd }}` wherever money is shown (see product/core/money.py).

`{{ amount|usd:"cost unknown" }}` names what a missing price (None) reads as.
"""

from __future__ import annotations

from decimal import Decimal

from django import template

from product.core.money import format_usd

register = template.Library()


@register.filter
def usd(value: Decimal | float | int | None, unknown: str = "unknown") -> str:
    return format_usd(value, unknown)
