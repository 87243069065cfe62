"""Template filters for the knowledge pages."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from product.knowledge.highlight import highlight as highlight_terms

register = template.Library()


@register.filter
def highlight(text: str, query: str) -> SafeString:
    """`{{ passage.text|highlight:query }}`: escaped text with the query's terms in <mark>."""
    return highlight_terms(text or "", query or "")
