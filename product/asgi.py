"""ASGI entry point: uvicorn serves this in development and production (SSE needs ASGI)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "product.settings")
application = get_asgi_application()
