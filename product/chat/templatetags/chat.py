"""Template filters for chat: a compact usage line. (Replies are rendered by chat.citations.)"""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def usd(value: Decimal | None) -> str:
    if value is None:
        return "cost unknown"
    return f"${value:.6f}".rstrip("0").rstrip(".") if value else "$0"
