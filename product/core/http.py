"""Typed requests, so that views can rely on `request.htmx` (and, through product/accounts/http.py,
on `request.user` being a real user)."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def is_fragment_request(request: HtmxHttpRequest) -> bool:
    """True for an explicit hx-get/hx-post that wants a partial; a boosted request wants the page.

    The one check every view uses to pick `"page.html#fragment"` over the whole page.
    """
    return bool(request.htmx) and not request.htmx.boosted
