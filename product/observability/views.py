"""Usage and traces pages (the usage helper and the traces helper fill these in)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse


@login_required
def usage_page(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "observability/usage.html", {})
