"""WSGI entry point, for tools that want one. Serve Keel with ASGI (product.asgi): chat streams."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "product.settings")
application = get_wsgi_application()
