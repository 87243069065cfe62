"""`{% load usage_format %}`: the usage page's numbers as people read them (money: core's `usd`)."""

from __future__ import annotations

from django import template

from product.observability.charts import format_count, format_ms
from product.observability.usage import percent

register = template.Library()


@register.filter
def ms(value: float | None) -> str:
    return "—" if value is None else format_ms(value)


@register.filter
def rate(value: float | None) -> str:
    return percent(value)


@register.filter
def count(value: int | None) -> str:
    return "—" if value is None else format_count(value)
