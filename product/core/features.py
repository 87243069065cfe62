"""Feature apps, found from settings.FEATURE_APPS: their URLs, API routers and navigation.

Adding a feature is one new app folder and one line in `FEATURE_APPS` (see docs/add-a-feature.md):
product/urls.py mounts each feature's `urls.py` under `/<label>/`, product/api.py adds each
feature's `api.router`, and the sidebar and the dashboard show the `Feature` its AppConfig
declares. Nothing here imports a feature by name, so core stays below every app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class Feature:
    """What the product shell shows of a feature: set it as `feature = Feature(...)` on the AppConfig."""

    label: str  # the sidebar link's text
    url_name: str  # the feature's home page, e.g. "ask:question-list"
    summary: str  # one sentence for the dashboard card


def feature_apps() -> list[str]:
    return list(settings.FEATURE_APPS)


def features() -> list[Feature]:
    """The features in FEATURE_APPS order (the sidebar's and the dashboard's order)."""
    found = []
    for name in feature_apps():
        config = next(c for c in apps.get_app_configs() if c.name == name)
        feature = getattr(config, "feature", None)
        if isinstance(feature, Feature):
            found.append(feature)
    return found


def features_context(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `features` for the sidebar and the dashboard."""
    return {"features": features()}
