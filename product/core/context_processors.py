"""Template context every page needs from core: the product name, the theme, the dev-model banner,
the key prefix.

What the signed-in person's workspaces are comes from product.accounts.context_processors.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

THEMES = ("system", "light", "dark")
THEME_COOKIE = "keel_theme"


def keel(request: HttpRequest) -> dict[str, Any]:
    # The theme is read server-side from a cookie (set by app.js) so a dark page never flashes light.
    theme = request.COOKIES.get(THEME_COOKIE, "system")
    return {
        "product_name": settings.PRODUCT_NAME,
        "uses_devmodel": settings.LLM_USES_DEVMODEL,
        "theme": theme if theme in THEMES else "system",
        "api_key_prefix": settings.API_KEY_PREFIX,
    }
