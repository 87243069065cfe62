from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def fast_retries(settings: Any) -> None:
    """Retries wait milliseconds, not seconds (rate-limit counters start from zero: conftest.py)."""
    settings.LLM_RETRY_BACKOFF_S = 0.01
    settings.LLM_MAX_RETRIES = 2
