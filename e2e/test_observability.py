"""Traces in a real browser: a chat reply's "Trace" link opens its waterfall, the model attempt
opens the exact messages sent and the response received; the pages fit a phone in dark mode."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import Stack
from e2e.test_chat import PASSWORD, TIMEOUT, finished_text, last_reply, send, sign_in

QUESTION = "What keeps a sailing boat upright?"
ANSWER = "Its keel, a heavy fin under the hull."


@pytest.fixture
def sailor(browser: Browser, stack: Stack) -> Iterator[Page]:
    email = f"traces-{uuid.uuid4().hex[:8]}@example.com"
    stack.create_user(email, PASSWORD)
    context = browser.new_context(color_scheme="dark")
    page = sign_in(context, stack, email)
    yield page
    context.close()


def fits_the_width(page: Page) -> bool:
    """No horizontal scrolling of the page itself (a table may scroll inside its own box)."""
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_a_reply_s_trace_shows_the_model_attempt_with_its_messages(
    sailor: Page, stack: Stack, screenshots_dir: Path
) -> None:
    sailor.goto(f"{stack.url}/chat/new/")
    send(sailor, f"{QUESTION} [[reply: {ANSWER}]]")
    expect(finished_text(sailor)).to_have_text(ANSWER, timeout=TIMEOUT)

    # The SSE `done` fragment brought the reply's link to its trace, behind "Details".
    last_reply(sailor).locator("summary", has_text="Details").click()
    last_reply(sailor).get_by_role("link", name="Trace").click()
    expect(sailor).to_have_url(re.compile(r"/observability/traces/[0-9a-f]{32}/$"), timeout=TIMEOUT)
    waterfall = sailor.get_by_test_id("waterfall")
    expect(waterfall).to_be_visible()
    expect(sailor.get_by_test_id("trace-status")).to_have_text("OK", timeout=TIMEOUT)
    for kind in ("request", "queue", "job", "generation"):
        expect(waterfall.locator(f"[data-kind='{kind}']").first).to_be_visible()
    # Two model attempts: the reply's, and the conversation's title (its own job, same trace).
    expect(waterfall.get_by_test_id("model-attempt")).to_have_count(2)
    reply_step = waterfall.get_by_test_id("trace-step").filter(
        has=sailor.locator("[data-prompt]", has_text=re.compile(r"^chat\.reply$"))
    )
    attempt = reply_step.get_by_test_id("model-attempt")
    sailor.screenshot(path=str(screenshots_dir / "trace.png"), full_page=True)

    attempt.click()
    expect(sailor.get_by_role("heading", level=1)).to_contain_text("Generation")
    sent = sailor.get_by_test_id("messages-sent")
    expect(sent).to_contain_text(QUESTION)
    expect(sailor.get_by_test_id("response-text")).to_have_text(ANSWER)

    # On a phone, in dark mode, neither page scrolls sideways.
    sailor.set_viewport_size({"width": 390, "height": 844})
    assert fits_the_width(sailor)
    sailor.go_back()
    expect(sailor.get_by_test_id("waterfall")).to_be_visible()
    assert fits_the_width(sailor)
    background = sailor.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 18, 32)"  # the dark theme, as the system asks

    # The same reply is counted on the usage page, by feature, in the chart's numbers too.
    sailor.set_viewport_size({"width": 1280, "height": 800})
    sailor.goto(f"{stack.url}/observability/?group=feature")
    expect(sailor.get_by_role("heading", level=1)).to_have_text("Usage")
    expect(sailor.get_by_test_id("usage-requests")).to_have_text(re.compile(r"^[1-9]\d*$"))
    requests_chart = sailor.locator("#chart-requests-card")
    expect(requests_chart.locator("svg rect")).not_to_have_count(0)
    requests_chart.get_by_text("The numbers").click()
    expect(requests_chart.locator("thead")).to_contain_text("chat, succeeded")
