from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # allauth's rate limits (login failures, one confirmation mail per 3 minutes per address)
    # live in the cache, which outlives a test when it is Redis.
    cache.clear()
