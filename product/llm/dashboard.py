"""The dashboard's part about model spend (registered in apps.py, see product/core/dashboard.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from product.accounts.selectors import get_current_workspace
from product.llm.quotas import budget_status


def usage(request: HttpRequest) -> dict[str, Any]:
    return {"usage": budget_status(get_current_workspace(request))}
