"""The frame every page shares, in a real browser: theme, mobile menu, keyboard, toasts, CSP.

(The stack runs with DEBUG on, so the custom error pages are tested in product/core/tests.)
"""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from e2e.conftest import Stack

EMAIL = "frame@example.com"
PASSWORD = "keel-e2e-frame-passphrase-7"


@pytest.fixture(scope="module")
def frame_user(stack: Stack) -> str:
    stack.create_user(EMAIL, PASSWORD, workspace="Frame Co")
    return EMAIL


def log_in(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.url}/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def test_pages_break_no_content_security_rule(page: Page, stack: Stack, frame_user: str) -> None:
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", watch)
    for path in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        page.goto(f"{stack.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
    log_in(page, stack)
    for path in (
        "/dashboard/",
        "/workspaces/",
        "/workspaces/new/",
        "/accounts/email/",
        "/accounts/2fa/",
    ):
        page.goto(f"{stack.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
    assert not violations, "\n".join(violations)


def test_the_theme_switch_sticks_across_pages(page: Page, stack: Stack, frame_user: str) -> None:
    log_in(page, stack)
    html = page.locator("html")
    expect(html).to_have_attribute("data-theme", "system")
    page.get_by_role("button", name="Switch colour theme").click()
    expect(html).to_have_attribute("data-theme", "light")
    page.get_by_role("button", name="Switch colour theme").click()
    expect(html).to_have_attribute("data-theme", "dark")
    page.reload()
    # The server renders the stored choice, so the page never flashes the other theme.
    expect(html).to_have_attribute("data-theme", "dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 18, 32)"


def test_the_sidebar_folds_into_a_menu_on_a_phone(
    page: Page, stack: Stack, frame_user: str
) -> None:
    log_in(page, stack)
    page.set_viewport_size({"width": 390, "height": 800})
    nav = page.get_by_role("navigation", name="Sections")
    menu = page.get_by_role("button", name="Menu")
    expect(nav).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    nav.get_by_role("link", name="All workspaces").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workspaces")


def test_the_keyboard_reaches_the_content_first(page: Page, stack: Stack, frame_user: str) -> None:
    log_in(page, stack)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_toasts_can_be_dismissed(page: Page, stack: Stack, frame_user: str) -> None:
    log_in(page, stack)
    page.goto(f"{stack.url}/workspaces/new/")
    page.get_by_label("Workspace name").fill("Toasty")
    page.get_by_role("button", name="Create workspace").click()
    toast = page.locator(".toast", has_text="Created Toasty")
    expect(toast).to_be_visible()
    toast.get_by_role("button", name="Dismiss").click()
    expect(toast).to_have_count(0)
