"""A pytest plugin: the dev model server in a background thread, and settings pointing at it.

Enabled for the whole suite by `pytest_plugins = ["product.devmodel.testing"]` in conftest.py.
Tests ask for `devmodel_llm`:

    def test_it_answers(devmodel_llm: str) -> None:
        result = complete(...)  # goes to the dev model server over real HTTP
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from product.devmodel.background import serve_in_thread


@pytest.fixture(scope="session")
def devmodel() -> Iterator[str]:
    """Start one dev model server for the session; yield its base URL (`http://127.0.0.1:N/v1`)."""
    with serve_in_thread() as base_url:
        yield base_url


@pytest.fixture
def devmodel_llm(devmodel: str, settings: Any) -> str:
    """Point the gateway at the session's dev model server (no key, dev models, fast retries)."""
    settings.LLM_BASE_URL = devmodel
    settings.LLM_API_KEY = ""
    settings.LLM_MODEL = "keel-dev-small"
    settings.LLM_FALLBACK_MODEL = ""
    return devmodel


@pytest.fixture
def llm_settings(devmodel_llm: str) -> str:
    """Alias of `devmodel_llm`, for a module to use with `pytestmark = usefixtures(...)`."""
    return devmodel_llm
