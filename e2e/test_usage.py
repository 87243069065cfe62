"""Usage, end to end: a person asks once, then opens the usage page and sees that call counted
in the cards, the charts and their tables, with real money (never "$0.00"), and takes the CSV."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import Stack
from e2e.test_ask import TIMEOUT, ask, sign_in

MONEY = re.compile(r"^(\$0\.\d*[1-9]\d*|\$[1-9][\d,]*\.\d+|< \$0\.0001)$")


@pytest.fixture
def person(browser: Browser, stack: Stack) -> Iterator[Page]:
    yield from sign_in(browser, stack, f"usage-{uuid.uuid4().hex[:8]}@example.com")


def test_a_model_call_is_counted_on_the_usage_page(
    person: Page, stack: Stack, screenshots_dir: Path
) -> None:
    ask(person, stack, "[[reply: Counted on the ledger.]] A memo about usage.")
    expect(person.get_by_test_id("job-status")).to_have_text("Succeeded", timeout=TIMEOUT)

    person.get_by_role("link", name="Usage", exact=True).click()
    expect(person.get_by_role("heading", level=1)).to_have_text("Usage")
    expect(person.get_by_test_id("usage-requests")).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(person.get_by_test_id("usage-spend")).to_have_text(MONEY)
    breakdown = person.get_by_test_id("usage-breakdown")
    expect(breakdown).to_contain_text("keel-dev-small")

    # The spend chart drew a bar for today, and its table says the same in numbers.
    spend_chart = person.locator("#chart-spend-card")
    expect(spend_chart.locator("svg rect")).not_to_have_count(0)
    spend_chart.get_by_text("The numbers").click()
    today = spend_chart.locator("tbody tr").last
    expect(today.locator("td").last).to_have_text(MONEY)
    requests_chart = person.locator("#chart-requests-card")
    requests_chart.get_by_text("The numbers").click()
    expect(requests_chart.locator("tbody tr").last.locator("td").first).to_have_text(
        re.compile(r"^[1-9]\d*$")
    )
    person.screenshot(path=str(screenshots_dir / "usage.png"), full_page=True)

    with person.expect_download() as download:
        person.get_by_test_id("usage-export").click()
    text = Path(download.value.path()).read_text()
    assert text.startswith("day,model,feature,member,requests")
    assert ",keel-dev-small,ask.once," in text

    # The dashboard's spend card shows the same call as money, not "$0.00".
    person.get_by_role("link", name="Dashboard", exact=True).click()
    expect(person.get_by_test_id("usage-spent")).to_have_text(MONEY)


def test_the_usage_page_fits_a_phone(browser: Browser, stack: Stack) -> None:
    email = f"phone-{uuid.uuid4().hex[:8]}@example.com"
    pages = sign_in(browser, stack, email)
    page = next(pages)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{stack.url}/observability/?period=30d")
    expect(page.get_by_role("heading", level=1)).to_have_text("Usage")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scroll"
    next(pages, None)
