"""A reply that calls a tool, in a real browser: the step line appears above the reply, opens to
its arguments and result, and is still there after a reload. On a phone it fits the screen."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, ViewportSize, expect

from e2e.conftest import Stack
from e2e.test_chat import (
    PASSWORD,
    TIMEOUT,
    finished_text,
    last_reply,
    send,
    sign_in,
    wait_idle,
)

PHONE: ViewportSize = {"width": 390, "height": 844}
QUESTION = 'What time is it in Paris? [[tool: current_time {"timezone": "Europe/Paris"}]]'


def test_a_tool_step_shows_opens_and_survives_a_reload(browser: Browser, stack: Stack) -> None:
    email = f"tools-{uuid.uuid4().hex[:8]}@example.com"
    stack.create_user(email, PASSWORD)
    context = browser.new_context(viewport=PHONE)
    try:
        page = sign_in(context, stack, email)
        page.goto(f"{stack.url}/chat/new/")
        send(page, QUESTION)
        expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}/$"), timeout=TIMEOUT)
        step = last_reply(page).locator("[data-tool-steps] .tool-step").first
        expect(step).to_be_visible(timeout=TIMEOUT)
        summary = step.locator("summary")
        expect(summary).to_contain_text("Checked the time", timeout=TIMEOUT)
        expect(finished_text(page)).to_contain_text("I used current_time", timeout=TIMEOUT)
        expect(summary).to_contain_text("Done")
        expect(summary).to_contain_text("Europe/Paris")
        # Measured once the reply's final HTML has replaced the streaming one (bounding boxes do
        # not wait: a node swapped out meanwhile has none).
        wait_idle(page)
        # The steps come above the reply's text.
        steps_box = last_reply(page).locator("[data-tool-steps]").bounding_box()
        text_box = finished_text(page).bounding_box()
        assert steps_box is not None and text_box is not None
        assert steps_box["y"] + steps_box["height"] <= text_box["y"] + 1
        # Opened: the arguments and the result, inside the phone's width.
        summary.click()
        body = step.locator(".tool-step-body")
        expect(body).to_be_visible()
        expect(body).to_contain_text('"timezone": "Europe/Paris"')
        expect(body).to_contain_text("The current time in Europe/Paris is")
        box = step.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        # A reload renders the stored step from the database.
        page.reload()
        step = last_reply(page).locator("[data-tool-steps] .tool-step").first
        expect(step.locator("summary")).to_contain_text("Checked the time", timeout=TIMEOUT)
        expect(step.locator(".tool-step-body")).to_be_hidden()
        step.locator("summary").click()
        expect(step.locator(".tool-step-body")).to_contain_text("Europe/Paris")
    finally:
        context.close()
