"""The dashboard page is assembled from what the apps contribute: core names none of them.

An app adds to the dashboard's template context by registering a function of the request in its
`AppConfig.ready()` (accounts: the workspace and its members; llm: this month's spend). The view
(product/core/views.py) merges them in registration order, which is INSTALLED_APPS order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest

ContextProvider = Callable[[HttpRequest], Mapping[str, Any]]
_providers: list[ContextProvider] = []


def add_dashboard_context(provider: ContextProvider) -> ContextProvider:
    """Register `provider`; registering the same function twice (a reloaded app) adds it once."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for provider in _providers:
        context.update(provider(request))
    return context
