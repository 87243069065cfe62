from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache


@pytest.fixture(autouse=True)
def fast_retries(settings: Any) -> None:
    """Retries wait milliseconds, not seconds; rate-limit counters start from zero."""
    settings.LLM_RETRY_BACKOFF_S = 0.01
    settings.LLM_MAX_RETRIES = 2
    # The database cache (embedded mode) is rolled back with each test; Redis is not.
    if not isinstance(caches["default"], DatabaseCache):
        caches["default"].clear()
