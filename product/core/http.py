"""Typed requests, so that views can rely on `request.user` being a real user and on `request.htmx`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from product.accounts.models import User


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    user: User


def is_fragment_request(request: HtmxHttpRequest) -> bool:
    """True for an explicit hx-get/hx-post that wants a partial; a boosted request wants the page.

    The one check every view uses to pick `"page.html#fragment"` over the whole page.
    """
    return bool(request.htmx) and not request.htmx.boosted
