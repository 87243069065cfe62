"""Ask once, end to end: a person pastes text, watches the job run in the worker and reads the
answer; a provider that keeps failing shows a readable error and a retry that works; a workspace
over its budget, and a text over the limit, get a clear message and keep their text."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import Stack

PASSWORD = "correct horse battery staple"
TIMEOUT = 30_000


def sign_in(browser: Browser, stack: Stack, email: str) -> Iterator[Page]:
    stack.create_user(email, PASSWORD)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{stack.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/?$"), timeout=TIMEOUT)
    yield page
    context.close()


@pytest.fixture
def asker(browser: Browser, stack: Stack) -> Iterator[Page]:
    yield from sign_in(browser, stack, f"ask-{uuid.uuid4().hex[:8]}@example.com")


def ask(page: Page, stack: Stack, text: str) -> None:
    page.goto(f"{stack.url}/ask/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask once")
    page.get_by_label("Text").fill(text)
    page.get_by_label("Summarise").check()
    page.get_by_role("button", name="Ask").click()


def test_it_answers_a_pasted_text_in_the_background(asker: Page, stack: Stack) -> None:
    ask(asker, stack, "[[reply: Keel ships AI features safely.]] [[delay_ms: 150]] A long memo.")
    asker.wait_for_url(re.compile(r".*/ask/[0-9a-f-]{36}/$"), timeout=TIMEOUT)
    status = asker.get_by_test_id("job-status")
    expect(status).to_have_text(re.compile("Queued|Running"), timeout=TIMEOUT)
    expect(status).to_have_text("Succeeded", timeout=TIMEOUT)
    expect(asker.get_by_test_id("job-answer")).to_have_text("Keel ships AI features safely.")
    usage = asker.get_by_test_id("job-usage")
    expect(usage).to_contain_text("keel-dev-small")
    expect(usage).to_contain_text(re.compile(r"\d+ in · \d+ out"))
    expect(usage).to_contain_text(re.compile(r"\$0\.\d*[1-9]|< \$0\.0001"))
    expect(usage).to_contain_text(re.compile(r"\d+ ms"))

    asker.get_by_role("link", name="Ask once").first.click()
    expect(asker.get_by_role("table")).to_contain_text("Succeeded")


def test_an_extract_task_shows_its_fields_as_a_table(asker: Page, stack: Stack) -> None:
    asker.goto(f"{stack.url}/ask/")
    asker.get_by_label("Text").fill(
        "Please invoice us as agreed.\nVendor: Acme Tools Ltd\nDate: 2026-03-14\n"
        "Total: 1250.00\nCurrency: GBP"
    )
    asker.get_by_label("Extract invoice fields").check()
    asker.get_by_role("button", name="Ask").click()
    asker.wait_for_url(re.compile(r".*/ask/[0-9a-f-]{36}/$"), timeout=TIMEOUT)
    expect(asker.get_by_test_id("job-status")).to_have_text("Succeeded", timeout=TIMEOUT)
    fields = asker.get_by_test_id("job-fields")
    expect(fields.get_by_role("row", name=re.compile("^Vendor"))).to_contain_text("Acme Tools Ltd")
    expect(fields.get_by_role("row", name=re.compile("^Date"))).to_contain_text("2026-03-14")
    expect(fields.get_by_role("row", name=re.compile("^Total"))).to_contain_text("1250.00")
    expect(fields.get_by_role("row", name=re.compile("^Currency"))).to_contain_text("GBP")
    expect(fields).to_contain_text("Line items")


def test_a_failing_provider_shows_a_readable_error_and_retry_works(
    asker: Page, stack: Stack
) -> None:
    key = uuid.uuid4().hex[:8]
    # Fails the first attempt and both gateway retries, then answers: the retry button's run works.
    ask(asker, stack, f"[[fail_times: 3 status=500 key={key}]] [[reply: Second time lucky.]]")
    status = asker.get_by_test_id("job-status")
    expect(status).to_have_text("Failed", timeout=TIMEOUT)
    error = asker.get_by_test_id("job-error")
    expect(error).to_contain_text("try again")
    expect(error).not_to_contain_text("Traceback")

    asker.get_by_role("button", name="Retry").click()
    expect(status).to_have_text("Succeeded", timeout=TIMEOUT)
    expect(asker.get_by_test_id("job-answer")).to_have_text("Second time lucky.")


def test_a_workspace_over_budget_sees_the_quota_message(browser: Browser, stack: Stack) -> None:
    email = f"broke-{uuid.uuid4().hex[:8]}@example.com"
    pages = sign_in(browser, stack, email)
    page = next(pages)
    stack.manage(
        "shell",
        "-c",
        "from product.accounts.models import Workspace\n"
        "from product.llm.models import WorkspaceBudget\n"
        f"ws = Workspace.objects.get(memberships__user__email={email!r})\n"
        "WorkspaceBudget.objects.create(workspace=ws, monthly_budget_usd=0)\n",
    )
    ask(page, stack, "Please keep this text when the budget is spent.")
    expect(page.get_by_role("alert")).to_contain_text("budget")
    expect(page.get_by_label("Text")).to_have_value(
        "Please keep this text when the budget is spent."
    )
    expect(page.get_by_role("table")).to_have_count(0)
    next(pages, None)


def test_a_text_over_the_limit_is_refused_whole_never_cut(asker: Page, stack: Stack) -> None:
    # A 100 KB paste: the browser must not cut it to the limit (no maxlength), the counter says it
    # is over, and the server refuses it with the limit in words, keeping every character.
    text = "All work and no play. " * 4_600  # 101,200 characters
    asker.goto(f"{stack.url}/ask/")
    field = asker.get_by_label("Text")
    field.fill(text)
    expect(field).to_have_value(text)
    counter = asker.get_by_test_id("char-counter-id_text")
    expect(counter).to_have_text("101,200 / 50,000 characters")
    expect(counter).to_have_attribute("data-over", "true")
    asker.get_by_role("button", name="Ask").click()
    expect(asker.locator(".errorlist")).to_contain_text("the limit is 50,000")
    expect(asker.get_by_label("Text")).to_have_value(text)
    expect(asker.get_by_role("table")).to_have_count(0)
