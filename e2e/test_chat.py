"""Chat journeys in a real browser against the live stack (web, worker, dev model server).

Replies are scripted with dev-model markers, so every journey knows the exact text to expect.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Locator, Page, expect

from e2e.conftest import Stack

PASSWORD = "correct horse battery staple"
SLOW_REPLY = (
    "Streams in Keel never lose a token because every delta lands in a durable stream "
    "with its own cursor and the page resumes from the last one it saw after any reload"
)
TIMEOUT = 30_000


def sign_in(context: BrowserContext, stack: Stack, email: str) -> Page:
    page = context.new_page()
    page.goto(f"{stack.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url, timeout=TIMEOUT)
    return page


@pytest.fixture
def person(stack: Stack) -> str:
    email = f"chat-{uuid.uuid4().hex[:8]}@example.com"
    stack.create_user(email, PASSWORD)
    return email


@pytest.fixture
def chat(browser: Browser, stack: Stack, person: str) -> Iterator[Page]:
    context = browser.new_context()
    page = sign_in(context, stack, person)
    page.goto(f"{stack.url}/chat/new/")
    yield page
    context.close()


def send(page: Page, text: str) -> None:
    page.fill("[data-composer-text]", text)
    page.click("[data-composer-send]")


def wait_idle(page: Page) -> None:
    """No reply streaming and no htmx request in flight (the list refresh after `done` landed)."""
    # Locators, not wait_for_function: the CSP forbids eval, and the test keeps the real CSP.
    expect(page.locator("#message-list [data-stream-url]")).to_have_count(0, timeout=TIMEOUT)
    expect(page.locator(".htmx-request")).to_have_count(0, timeout=TIMEOUT)


def click_and_wait(page: Page, selector: str, path: str) -> None:
    with page.expect_response(lambda response: path in response.url):
        page.locator(selector).click()


def last_reply(page: Page) -> Locator:
    return page.locator("article.message-assistant").last


def finished_text(page: Page) -> Locator:
    return page.locator("article.message-assistant [data-message-text]").last


def test_it_streams_and_resumes_after_a_reload(chat: Page) -> None:
    send(chat, f"Tell me. [[reply: {SLOW_REPLY}]] [[delay_ms: 100]]")
    expect(chat).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}/$"), timeout=TIMEOUT)
    streaming = chat.locator("[data-stream-text]")
    expect(streaming).not_to_be_empty(timeout=TIMEOUT)
    # Send is disabled while the reply streams.
    expect(chat.locator("[data-composer-send]")).to_be_disabled()
    partial = streaming.inner_text()
    assert len(partial) < len(SLOW_REPLY)
    # A second tab joins mid-reply while the first one reloads.
    second = chat.context.new_page()
    second.goto(chat.url)
    chat.reload()
    for tab in (chat, second):
        expect(finished_text(tab)).to_have_text(SLOW_REPLY, timeout=TIMEOUT)
        # Exactly the scripted text: nothing lost, nothing doubled.
        assert finished_text(tab).inner_text().strip() == SLOW_REPLY
    second.close()
    expect(chat.locator("[data-message-meta]").last).to_contain_text("out tokens")


def test_it_keeps_a_stopped_partial_reply(chat: Page) -> None:
    send(chat, "[[tokens: 300]] [[delay_ms: 50]]")
    streaming = chat.locator("[data-stream-text]")
    expect(streaming).to_have_text(re.compile(r"\S+ \S+ \S+ \S+"), timeout=TIMEOUT)
    chat.click("[data-stop]")
    expect(last_reply(chat)).to_contain_text("Stopped.", timeout=TIMEOUT)
    partial = finished_text(chat).inner_text()
    assert partial
    chat.reload()
    expect(last_reply(chat)).to_contain_text("Stopped.")
    assert finished_text(chat).inner_text() == partial


def test_it_regenerates_and_edits(chat: Page) -> None:
    send(chat, "[[reply: The first answer.]]")
    expect(finished_text(chat)).to_have_text("The first answer.", timeout=TIMEOUT)
    wait_idle(chat)
    click_and_wait(chat, "[data-regenerate]", "/regenerate/")
    wait_idle(chat)
    expect(finished_text(chat)).to_have_text("The first answer.", timeout=TIMEOUT)
    expect(chat.locator("article.message-assistant")).to_have_count(1)
    chat.locator(".message-edit summary").click()
    chat.locator(".message-edit textarea").fill("[[reply: The edited answer.]]")
    click_and_wait(chat, ".message-edit button[type=submit]", "/edit/")
    wait_idle(chat)
    expect(finished_text(chat)).to_have_text("The edited answer.", timeout=TIMEOUT)
    expect(chat.locator("article.message-user")).to_have_count(1)
    expect(chat.locator("article.message-user")).to_contain_text("The edited answer.")


def test_it_shows_the_generated_title_in_the_sidebar(chat: Page, screenshots_dir: Path) -> None:
    send(chat, "Plan the spring launch [[reply: Here is a plan.]]")
    expect(finished_text(chat)).to_have_text("Here is a plan.", timeout=TIMEOUT)
    current = chat.locator("#history a[aria-current=page]")
    # The dev model answers the title prompt with a title (title case): not the provisional one.
    expect(current).to_have_text("Plan the Spring Launch", timeout=TIMEOUT)
    # The page header follows the sidebar without a reload.
    expect(chat.locator("h1#conversation-title")).to_have_text(
        "Plan the Spring Launch", timeout=TIMEOUT
    )
    wait_idle(chat)
    chat.screenshot(path=screenshots_dir / "chat.png", full_page=True)


def test_it_recovers_from_a_provider_error(chat: Page) -> None:
    key = uuid.uuid4().hex[:8]
    send(chat, f"Hello [[fail_times: 1 status=400 key={key}]] [[reply: Recovered.]]")
    error = chat.locator("[data-message-error]")
    expect(error).to_be_visible(timeout=TIMEOUT)
    wait_idle(chat)
    # The person's message is kept.
    expect(chat.locator("article.message-user")).to_contain_text("Hello")
    click_and_wait(chat, "[data-regenerate]", "/regenerate/")
    wait_idle(chat)
    expect(finished_text(chat)).to_have_text("Recovered.", timeout=TIMEOUT)
    expect(chat.locator("[data-message-error]")).to_have_count(0)


def test_it_renders_a_hostile_reply_inert(chat: Page) -> None:
    requests: list[str] = []
    chat.on("request", lambda request: requests.append(request.url))
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    chat.on("dialog", dismiss)
    send(chat, "[[hostile]]")
    expect(finished_text(chat)).to_contain_text("formatted", timeout=TIMEOUT)
    chat.reload()
    expect(finished_text(chat)).to_contain_text("formatted")
    body = finished_text(chat)
    assert body.locator("script, img, [hx-get], [onerror]").count() == 0
    chat.wait_for_timeout(500)
    assert not [url for url in requests if "evil.example" in url]
    assert dialogs == []


def test_it_hides_a_conversation_from_another_person(
    chat: Page, browser: Browser, stack: Stack
) -> None:
    send(chat, "[[reply: Private.]]")
    expect(finished_text(chat)).to_have_text("Private.", timeout=TIMEOUT)
    url = chat.url
    other = f"other-{uuid.uuid4().hex[:8]}@example.com"
    stack.create_user(other, PASSWORD)
    context = browser.new_context()
    try:
        page = sign_in(context, stack, other)
        response = page.goto(url)
        assert response is not None and response.status == 404
        assert "Private." not in page.content()
    finally:
        context.close()
