"""Ada signs up, verifies her email, makes a workspace and invites Grace, who joins through the link.

Everything goes through the browser and the real mail path (the dev backend's outbox files), on
the live stack: uvicorn, a Celery worker and the dev model server.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from e2e.conftest import Stack

PASSWORD = "keel-e2e-long-passphrase-42"


def link_in(body: str, path: str) -> str:
    match = re.search(rf"https?://\S+{re.escape(path)}\S*", body)
    assert match is not None, body
    return match.group(0)


def sign_up_and_verify(page: Page, stack: Stack, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    # The product's words, not allauth's: where the link went and what to press there.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.get_by_test_id("verification-sent")).to_contain_text(email)
    expect(page.locator("main")).not_to_contain_text(re.compile("contact us", re.IGNORECASE))
    confirm_url = link_in(stack.last_mail_body(email), "/accounts/confirm-email/")
    page.goto(confirm_url.replace("http://localhost:8000", stack.url))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email")
    confirm = page.get_by_role("button", name="Confirm my email")
    expect(confirm).to_have_class(re.compile(r"\bbtn-primary\b"))
    confirm.click()


def log_out(page: Page) -> None:
    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(
        page.get_by_role("navigation", name="Account").get_by_role("link", name="Log in")
    ).to_be_visible()


def test_a_new_team_signs_up_and_gets_together(
    page: Page, browser: Browser, stack: Stack, screenshots_dir: Path
) -> None:
    page.goto(stack.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ship a real AI product")
    page.screenshot(path=str(screenshots_dir / "landing.png"), full_page=True)

    # Ada signs up and verifies her address from the email.
    page.get_by_role("link", name="Create your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")
    expect(page.locator("main")).to_contain_text("workspace of your own")
    sign_up_and_verify(page, stack, "ada@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator("main")).to_contain_text("ada's workspace")

    # Confirming signed her in; she logs out and back in with her password.
    log_out(page)
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    # She makes a workspace for her team...
    page.get_by_role("link", name="All workspaces").click()
    page.get_by_role("link", name="New workspace").click()
    page.get_by_label("Workspace name").fill("Ada Labs")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Labs")

    # ...and invites Grace; the page updates in place and a toast confirms it.
    page.get_by_label("Email address").fill("grace@example.com")
    page.get_by_label("Role", exact=True).select_option("admin")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#toasts")).to_contain_text("Invitation sent to grace@example.com")
    expect(page.locator("#people")).to_contain_text("grace@example.com")

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    page.screenshot(path=str(screenshots_dir / "dashboard.png"), full_page=True)

    # Grace, in her own browser, follows the emailed link, signs up and lands in Ada Labs.
    grace = browser.new_context(base_url=stack.url).new_page()
    invitation_url = link_in(stack.last_mail_body("grace@example.com"), "/workspaces/invitations/")
    grace.goto(invitation_url.replace("http://localhost:8000", stack.url))
    expect(grace.get_by_role("heading", level=1)).to_have_text("Join Ada Labs")
    grace.locator("main").get_by_role("link", name="Sign up").click()
    sign_up_and_verify(grace, stack, "grace@example.com")
    expect(grace.locator("#toasts")).to_contain_text("You joined Ada Labs")
    expect(grace.locator("main")).to_contain_text("Workspace Ada Labs")
    grace.get_by_role("link", name="Workspace", exact=True).click()
    expect(grace.locator("#people")).to_contain_text("ada@example.com")
    expect(grace.locator("#people")).to_contain_text("grace@example.com")

    # Ada sees her new admin; then logs out.
    page.goto(f"{stack.url}/workspaces/")
    page.get_by_role("link", name="Ada Labs").click()
    expect(page.locator("#people")).to_contain_text("grace@example.com")
    log_out(page)


def test_a_newcomer_follows_the_first_steps(page: Page, stack: Stack) -> None:
    """Lin signs up, finds a checklist on her dashboard, starts a chat and comes back to a tick."""
    page.goto(f"{stack.url}/accounts/signup/")
    sign_up_and_verify(page, stack, "lin@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    steps = page.get_by_test_id("first-step")
    expect(steps).to_have_text(
        [
            re.compile("Start a chat"),
            re.compile("Upload a document"),
            re.compile("Invite a teammate"),
            re.compile("Create an API key"),
        ]
    )
    for index in range(4):
        expect(steps.nth(index)).to_have_attribute("data-done", "false")

    page.get_by_test_id("first-steps").get_by_role("link", name="Start a chat").click()
    page.fill("[data-composer-text]", "Hello from my first chat")
    page.click("[data-composer-send]")
    expect(page.locator("#message-list")).to_contain_text("Hello from my first chat")

    page.get_by_role("link", name="Dashboard").click()
    chat_step = steps.filter(has_text="Start a chat")
    expect(chat_step).to_have_attribute("data-done", "true")
    expect(chat_step).to_contain_text("(done)")
    expect(steps.filter(has_text="Upload a document")).to_have_attribute("data-done", "false")
    expect(page.get_by_test_id("first-steps")).to_contain_text("3 of 4 steps left")
