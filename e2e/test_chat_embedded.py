"""The embedded default streams too: no Postgres, no Redis (SQLite, the filesystem broker, and the
database-backed token stream). One smoke journey on a stack of its own."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from e2e.conftest import Stack, run_stack
from e2e.test_chat import PASSWORD, TIMEOUT, finished_text, send, sign_in

REPLY = "The embedded default streams every token from the database backed stream"


@pytest.fixture(scope="module")
def embedded_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var_dir: Path = tmp_path_factory.mktemp("keel-e2e-embedded")
    with run_stack(var_dir, embedded=True) as running:
        assert "REDIS_URL" not in running.env
        assert running.env["DATABASE_URL"].startswith("sqlite:")
        yield running


def test_it_streams_a_reply_without_redis_or_postgres(
    embedded_stack: Stack, browser: Browser
) -> None:
    email = f"embedded-{uuid.uuid4().hex[:8]}@example.com"
    embedded_stack.create_user(email, PASSWORD)
    context = browser.new_context()
    try:
        page = sign_in(context, embedded_stack, email)
        page.goto(f"{embedded_stack.url}/chat/new/")
        # Slow enough that the page sees deltas arrive (the embedded broker polls once a second).
        send(page, f"[[reply: {REPLY}]] [[delay_ms: 250]]")
        expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}/$"), timeout=TIMEOUT)
        expect(page.locator("[data-stream-text]")).not_to_be_empty(timeout=TIMEOUT)
        page.reload()
        expect(finished_text(page)).to_have_text(REPLY, timeout=TIMEOUT)
    finally:
        context.close()
