"""Django settings for `manage.py devmodel` alone.

The dev model server stands alone (it imports no other product app), so it needs none of the web
process's settings: with DEBUG off, product/settings.py rightly stops without SECRET_KEY,
ALLOWED_HOSTS, EMAIL_URL, ... manage.py configures this instead for that one command, so the
documented `python manage.py devmodel` starts anywhere, and the web's checks stay as strict."""

from __future__ import annotations

import os

from django.conf import settings

COMMAND = "devmodel"


def configure() -> None:
    settings.configure(
        INSTALLED_APPS=["product.devmodel"],
        # The same variables and defaults as product/settings.py.
        DEVMODEL_HOST=os.environ.get("DEVMODEL_HOST", "127.0.0.1"),
        DEVMODEL_PORT=int(os.environ.get("DEVMODEL_PORT", "8765")),
    )
