"""A pytest plugin: the dev model server in a background thread, and settings pointing at it.

Enabled for the whole suite by `pytest_plugins = ["product.devmodel.testing"]` in conftest.py.
Tests ask for `devmodel_llm`:

    def test_it_answers(devmodel_llm: str) -> None:
        result = complete(...)  # goes to the dev model server over real HTTP
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from product.devmodel.server import create_app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def devmodel() -> Iterator[str]:
    """Start one dev model server for the session; yield its base URL (`http://127.0.0.1:N/v1`)."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="devmodel", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dev model server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


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
