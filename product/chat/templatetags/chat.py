"""Template filters for chat: sanitised markdown and a compact usage line."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString, mark_safe

from product.chat.rendering import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    # Safe to mark: render_markdown escapes raw HTML and sanitises on an allowlist.
    return mark_safe(render_markdown(text or ""))  # noqa: S308


@register.filter
def usd(value: Decimal | None) -> str:
    if value is None:
        return "cost unknown"
    return f"${value:.6f}".rstrip("0").rstrip(".") if value else "$0"
