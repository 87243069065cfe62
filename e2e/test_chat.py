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
    # Model, tokens, cost and latency wait behind "Details".
    meta = chat.locator("[data-message-meta]").last
    expect(meta).to_contain_text("out tokens")
    expect(meta).to_be_hidden()
    last_reply(chat).locator("summary", has_text="Details").click()
    expect(meta).to_be_visible()


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
    # Regenerate sits in the row under the last reply.
    expect(last_reply(chat).locator("[data-message-actions] [data-regenerate]")).to_be_visible()
    # Edit shows on hover (or focus) of the last message, and opens an inline editor.
    edit = chat.locator(".message-edit summary")
    expect(edit).to_have_css("opacity", "0")
    chat.locator("article.message-user .message-text").hover()
    expect(edit).to_have_css("opacity", "1")
    edit.click()
    save = chat.locator(".message-edit button[type=submit]")
    expect(save).to_have_text("Save and resubmit")
    # A normal button, not a bar across the editor.
    assert (
        box(save)["right"] - box(save)["left"]
        < (
            box(chat.locator(".message-edit form"))["right"]
            - box(chat.locator(".message-edit form"))["left"]
        )
        / 2
    )
    chat.locator(".message-edit textarea").fill("[[reply: The edited answer.]]")
    click_and_wait(chat, ".message-edit button[type=submit]", "/edit/")
    wait_idle(chat)
    expect(finished_text(chat)).to_have_text("The edited answer.", timeout=TIMEOUT)
    expect(chat.locator("article.message-user")).to_have_count(1)
    expect(chat.locator("article.message-user")).to_contain_text("The edited answer.")


def test_it_shows_the_generated_title_in_the_sidebar(chat: Page) -> None:
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


# --- The chat experience: composer, following the stream, copy, phone, shortcuts ----------------

CODE_REPLY = (
    "Add them like this:\n\n```python\ndef add(a, b):\n    return a + b  # both ints\n```\n\n"
    "> Tip: type hints help.\n\nThat is all."
)
CODE = "def add(a, b):\n    return a + b  # both ints\n"


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, "the element is laid out"
    return {
        "top": found["y"],
        "bottom": found["y"] + found["height"],
        "left": found["x"],
        "right": found["x"] + found["width"],
    }


def distance_from_bottom(page: Page) -> float:
    return float(
        page.evaluate("document.documentElement.scrollHeight - window.innerHeight - window.scrollY")
    )


def test_it_pins_the_composer_and_puts_stop_inside_it(chat: Page) -> None:
    viewport = chat.viewport_size
    assert viewport is not None
    composer = chat.locator("[data-composer]")
    # At the bottom of the viewport even before the first message.
    assert abs(box(composer)["bottom"] - viewport["height"]) <= 2
    hint = chat.locator("[data-composer-hint]")
    expect(hint).to_have_text("Type a message")
    expect(chat.locator("[data-composer-send]")).to_be_disabled()
    send(chat, "[[tokens: 400]] [[delay_ms: 40]]")
    streaming = chat.locator("[data-stream-text]")
    expect(streaming).to_have_text(re.compile(r"\S+ \S+ \S+"), timeout=TIMEOUT)
    # Only the reply being written is a live region, busy while it is written.
    expect(streaming).to_have_attribute("aria-live", "polite")
    expect(streaming).to_have_attribute("aria-busy", "true")
    assert chat.locator("#message-list").get_attribute("aria-live") is None
    # Stop replaces Send inside the composer box; the reply itself has no Stop.
    stop = chat.locator(".composer-box [data-stop]")
    expect(stop).to_be_visible()
    expect(chat.get_by_role("button", name="Stop")).to_have_count(1)
    expect(chat.locator("[data-composer-send]")).to_be_hidden()
    expect(last_reply(chat).locator("[data-stop]")).to_have_count(0)
    expect(hint).to_have_text("A reply is being written — press Stop or wait")
    # Enter while the reply streams says why nothing was sent.
    chat.fill("[data-composer-text]", "Another question")
    chat.press("[data-composer-text]", "Enter")
    expect(hint).to_have_attribute("data-flash", "")
    expect(hint).to_be_visible()
    expect(chat.locator("article.message-user")).to_have_count(1)
    stop.click()
    expect(last_reply(chat)).to_contain_text("Stopped.", timeout=TIMEOUT)
    wait_idle(chat)
    expect(chat.locator("[data-composer-send]")).to_be_enabled()
    expect(stop).to_be_hidden()
    expect(hint).to_have_text("")
    # The composer stays pinned to the bottom and the reply ends above it.
    assert abs(box(composer)["bottom"] - viewport["height"]) <= 2
    assert box(last_reply(chat))["bottom"] <= box(composer)["top"] + 1


def test_it_follows_a_long_stream_until_the_person_scrolls_up(chat: Page) -> None:
    send(chat, "[[tokens: 1200]] [[delay_ms: 25]]")
    streaming = chat.locator("[data-stream-text]")
    expect(streaming).not_to_be_empty(timeout=TIMEOUT)
    viewport = chat.viewport_size
    assert viewport is not None
    # Wait until the reply is taller than the window, then check it is followed.
    for _ in range(150):
        if box(streaming)["bottom"] - box(streaming)["top"] > viewport["height"]:
            break
        chat.wait_for_timeout(200)
    else:
        pytest.fail("the streamed reply never outgrew the window")
    chat.wait_for_timeout(300)
    composer_top = box(chat.locator("[data-composer]"))["top"]
    newest = box(streaming)["bottom"]
    # The newest line shows just above the composer, and the page is at its bottom.
    assert composer_top - viewport["height"] / 3 <= newest <= composer_top + 2, "newest in view"
    assert distance_from_bottom(chat) <= 80
    jump = chat.locator("[data-jump-latest]")
    expect(jump).to_be_hidden()
    # Scrolling up stops following: the page stays where the person put it.
    chat.mouse.move(viewport["width"] / 2, viewport["height"] / 3)
    chat.mouse.wheel(0, -600)
    expect(jump).to_be_visible(timeout=5_000)
    expect(jump).to_have_accessible_name(re.compile("Jump to latest"))
    away = distance_from_bottom(chat)
    chat.wait_for_timeout(600)
    assert distance_from_bottom(chat) >= away, "the stream no longer pulls the page down"
    assert distance_from_bottom(chat) > 100
    jump.click()
    expect(jump).to_be_hidden()
    chat.wait_for_timeout(400)
    assert distance_from_bottom(chat) <= 80, "back at the latest, and following again"
    chat.keyboard.press("Escape")  # stops the reply: the test is done with it
    expect(last_reply(chat)).to_contain_text("Stopped.", timeout=TIMEOUT)


def test_it_copies_replies_and_code_and_highlights_the_code(
    browser: Browser, stack: Stack, person: str, screenshots_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    try:
        page = sign_in(context, stack, person)
        page.goto(f"{stack.url}/chat/new/")
        send(page, f"How do I add two numbers in Python? [[reply: {CODE_REPLY}]]")
        expect(finished_text(page)).to_contain_text("That is all.", timeout=TIMEOUT)
        wait_idle(page)
        reply = last_reply(page)
        # A centred reading column: the person's turn a bubble on the right, the reply prose on
        # the left with no card around it.
        column = box(page.locator("#message-list"))
        assert column["right"] - column["left"] <= 48 * 16 + 1
        main = box(page.locator(".chat-main"))
        assert abs((column["left"] - main["left"]) - (main["right"] - column["right"])) <= 2
        question = page.locator("article.message-user .message-text")
        assert abs(box(question)["right"] - column["right"]) <= 1
        assert box(question)["left"] > column["left"] + 100
        assert question.evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
        assert abs(box(reply)["left"] - column["left"]) <= 1
        assert reply.evaluate("el => getComputedStyle(el).borderTopStyle") == "none"
        assert reply.evaluate("el => getComputedStyle(el).backgroundColor") == "rgba(0, 0, 0, 0)"
        # Highlighted on the server: Pygments' token spans inside code.language-python.
        code = reply.locator("pre code.language-python")
        expect(code.locator("span.k").first).to_have_text("def")
        expect(code.locator("span.nf")).to_have_text("add")
        expect(reply.locator(".code-bar")).to_contain_text("python")
        # Quotes look like quotes.
        quote = reply.locator(".prose blockquote")
        assert quote.evaluate("el => getComputedStyle(el).borderLeftStyle") == "solid"
        # The code block's Copy copies the code; the reply's copies its markdown.
        reply.locator("[data-copy-code]").click()
        expect(reply.locator("[data-copy-code]")).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == CODE
        actions = reply.locator("[data-message-actions]")
        actions.get_by_role("button", name="Copy the reply").click()
        expect(actions.get_by_role("button", name="Copy the reply")).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == CODE_REPLY
        # The last reply's action row: Copy, Regenerate, the thumbs, Details.
        for name in ("Copy the reply", "Regenerate", "Good answer", "Bad answer"):
            expect(actions.get_by_role("button", name=name)).to_be_visible()
        expect(actions.locator("summary", has_text="Details")).to_be_visible()
        page.mouse.move(10, 10)
        page.wait_for_timeout(1600)  # "Copied" turns back into "Copy" for the screenshot
        page.screenshot(path=screenshots_dir / "chat.png")
    finally:
        context.close()


def test_it_fits_a_phone_with_a_drawer_and_a_compact_header(
    browser: Browser, stack: Stack, person: str, screenshots_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = sign_in(context, stack, person)
        page.goto(f"{stack.url}/chat/new/")
        send(page, f"How do I add two numbers in Python? [[reply: {CODE_REPLY}]]")
        expect(finished_text(page)).to_contain_text("That is all.", timeout=TIMEOUT)
        wait_idle(page)
        page.evaluate("window.scrollTo(0, 0)")
        # The history is a drawer, closed until "Chats" opens it.
        drawer = page.locator("#chat-history")
        expect(drawer).to_be_hidden()
        toggle = page.get_by_role("link", name="Chats")
        toggle.click()
        expect(drawer).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        assert box(drawer)["bottom"] - box(drawer)["top"] >= 844 - 1, "a full-height drawer"
        assert box(drawer)["right"] <= 390
        expect(drawer.locator("a[aria-current=page]")).to_be_visible()
        page.keyboard.press("Escape")
        expect(drawer).to_be_hidden()
        # Title and options share one compact row; Rename and Delete wait in the menu.
        title = box(page.locator("h1#conversation-title"))
        options = page.locator(".chat-menu > summary")
        expect(options).to_be_visible()
        expect(options).to_have_attribute("aria-label", "Conversation options")
        assert abs(box(options)["top"] - title["top"]) < 24
        expect(page.get_by_label("Rename")).to_be_hidden()
        options.click()
        expect(page.get_by_label("Rename")).to_be_visible()
        assert box(page.locator(".chat-menu-panel"))["right"] <= 390
        options.click()
        # The conversation starts right below the header.
        header = box(page.locator(".chat-header"))
        first = box(page.locator("article.message").first)
        assert 0 <= first["top"] - header["bottom"] < 90
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # At the bottom, the reply ends above the composer, never under it.
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_timeout(200)
        composer = box(page.locator("[data-composer]"))
        assert composer["bottom"] <= 844 + 1
        assert box(last_reply(page))["bottom"] <= composer["top"] + 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=screenshots_dir / "chat-phone.png")
    finally:
        context.close()


def test_it_answers_keyboard_shortcuts(chat: Page, stack: Stack) -> None:
    send(chat, "[[reply: Short.]]")
    expect(finished_text(chat)).to_have_text("Short.", timeout=TIMEOUT)
    wait_idle(chat)
    chat.locator("h1#conversation-title").click()  # focus on the page, not in a field
    shortcuts = chat.locator("[data-chat-shortcuts]")
    chat.keyboard.press("?")
    expect(shortcuts.locator("dl")).to_be_visible()
    expect(shortcuts).to_contain_text("New chat")
    chat.keyboard.press("Escape")
    expect(shortcuts.locator("dl")).to_be_hidden()
    composer = chat.locator("[data-composer-text]")
    chat.keyboard.press("/")
    expect(composer).to_be_focused()
    expect(composer).to_have_value("")
    chat.locator("#chat-search").focus()
    chat.keyboard.press("Shift+Escape")
    expect(composer).to_be_focused()
    # A visible focus ring on keyboard focus.
    chat.keyboard.press("Shift+Tab")
    assert chat.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    # Esc stops the reply being written.
    send(chat, "[[tokens: 300]] [[delay_ms: 50]]")
    expect(chat.locator("[data-stream-text]")).not_to_be_empty(timeout=TIMEOUT)
    composer.focus()
    chat.keyboard.press("Escape")
    expect(last_reply(chat)).to_contain_text("Stopped.", timeout=TIMEOUT)
    wait_idle(chat)
    chat.keyboard.press("Control+Shift+O")
    expect(chat).to_have_url(f"{stack.url}/chat/new/", timeout=TIMEOUT)
