"""Knowledge, end to end: a person creates a collection, drops two files on the page at once,
reads what became of each (one refused by its name), watches the other go to Ready on the
knowledge worker, opens a passage, and deletes the document."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from e2e.conftest import Stack
from e2e.test_chat import PASSWORD, TIMEOUT, sign_in

HANDBOOK = (
    "# Handbook\n\nKeel runs model calls on workers, off the request.\n\n"
    "## Jobs\n\nThe reaper re-enqueues stale jobs every thirty seconds.\n"
)


@pytest.fixture
def reader(browser: Browser, stack: Stack) -> Iterator[Page]:
    email = f"knowledge-{uuid.uuid4().hex[:8]}@example.com"
    stack.create_user(email, PASSWORD)
    context = browser.new_context()
    try:
        yield sign_in(context, stack, email)
    finally:
        context.close()


def drop_files(page: Page, files: list[tuple[str, str]]) -> None:
    """What a browser does when files are dragged from the desktop onto the drop zone."""
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const [name, text] of files) { transfer.items.add(new File([text], name)); }
            return transfer;
        }""",
        files,
    )
    zone = page.locator("[data-dropzone-target]")
    zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    expect(zone).to_have_class(re.compile(r"\bis-dragover\b"))
    zone.dispatch_event("drop", {"dataTransfer": transfer})


def test_it_takes_dropped_files_and_shows_each_ready_or_refused(reader: Page, stack: Stack) -> None:
    page = reader
    page.goto(f"{stack.url}/knowledge/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Knowledge")
    page.get_by_label("Name").fill("Handbook")
    page.get_by_role("button", name="Create collection").click()
    page.wait_for_url(re.compile(r".*/knowledge/[0-9a-f-]{36}/$"), timeout=TIMEOUT)
    expect(page.get_by_role("heading", level=1)).to_have_text("Handbook")

    drop_files(page, [("handbook.md", HANDBOOK), ("budget.xlsx", "PK\x03\x04 a spreadsheet")])
    outcomes = page.get_by_test_id("upload-outcomes")
    expect(outcomes).to_contain_text("handbook.md: Queued for processing.", timeout=TIMEOUT)
    expect(outcomes.locator(".upload-failed")).to_contain_text("budget.xlsx")

    # The table refreshes on the upload, then polls until the knowledge worker is done.
    row = page.locator("#document-table tr", has_text="handbook.md")
    expect(row.get_by_test_id("document-status")).to_have_text("Ready", timeout=TIMEOUT)
    expect(page.locator("#document-table")).not_to_contain_text("budget.xlsx")

    row.get_by_role("link", name="handbook.md").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("handbook.md")
    page.locator(".passage-hit", has_text="reaper").get_by_role("link").first.click()
    expect(page.get_by_test_id("passage")).to_contain_text("The reaper re-enqueues stale jobs")

    page.get_by_role("link", name="The whole document").click()
    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete document").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Handbook")
    expect(page.locator("#document-table")).to_contain_text("No documents yet")


POLICY = "Vacation policy. Every employee receives twenty-five vacation days per year."
EXPENSES = "Expense reports are due on the fifth business day of each month."
QUESTION = "How many vacation days does an employee receive each year?"


def make_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "People handbook")
    pdf.add_page()
    pdf.multi_cell(0, 8, POLICY)
    pdf.output(str(path))
    return path


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Finance", level=1)
    document.add_paragraph(EXPENSES)
    document.save(str(path))
    return path


def ask_in_chat(page: Page, text: str) -> Locator:
    page.fill("[data-composer-text]", text)
    page.click("[data-composer-send]")
    expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}/$"), timeout=TIMEOUT)
    expect(page.locator("#message-list [data-stream-url]")).to_have_count(0, timeout=TIMEOUT)
    return page.locator("article.message-assistant").last


def test_it_answers_from_uploaded_documents_with_citations_that_open_the_passage(
    reader: Page, stack: Stack, tmp_path: Path
) -> None:
    page = reader
    page.goto(f"{stack.url}/knowledge/")
    page.get_by_label("Name").fill("People")
    page.get_by_role("button", name="Create collection").click()
    page.wait_for_url(re.compile(r".*/knowledge/[0-9a-f-]{36}/$"), timeout=TIMEOUT)
    collection_url = page.url

    # A PDF and a DOCX, through the file picker this time; each row moves to Ready.
    page.locator("input[type=file]").set_input_files(
        [str(make_pdf(tmp_path / "policy.pdf")), str(make_docx(tmp_path / "finance.docx"))]
    )
    page.get_by_role("button", name="Upload").click()
    for name in ("policy.pdf", "finance.docx"):
        row = page.locator("#document-table tr", has_text=name)
        expect(row.get_by_test_id("document-status")).to_have_text("Ready", timeout=TIMEOUT)
    expect(page.locator("#document-table tr", has_text="policy.pdf")).to_contain_text("2")

    # A chat that answers from the collection cites the PDF's passage.
    page.goto(f"{stack.url}/chat/new/")
    page.get_by_label("Answer from").select_option(label="People")
    reply = ask_in_chat(page, QUESTION)
    expect(reply).to_contain_text("twenty-five vacation days")
    citation = reply.locator("a.citation").first
    expect(citation).to_have_text(re.compile(r"\[\d\]"))
    # The locator names the page (a chunk's page is the page it starts on).
    expect(reply.locator("[data-message-sources]")).to_contain_text(
        re.compile(r"policy\.pdf · page \d")
    )
    conversation_url = page.url
    cited_before = reply.locator("a.citation").count()

    citation.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("policy.pdf")
    expect(page.get_by_test_id("passage")).to_contain_text("twenty-five vacation days")

    # Delete the PDF: its citation disappears from the old reply, and a new answer cannot cite it.
    page.goto(collection_url)
    page.locator("#document-table tr", has_text="policy.pdf").get_by_role(
        "link", name="Delete"
    ).click()
    page.get_by_role("button", name="Delete document").click()
    expect(page.locator("#document-table")).not_to_contain_text("policy.pdf")

    page.goto(conversation_url)
    first = page.locator("article.message-assistant").first
    expect(first.locator("a.citation")).to_have_count(cited_before - 1)
    expect(first).not_to_contain_text("policy.pdf")
    again = ask_in_chat(page, QUESTION)
    expect(again).not_to_contain_text("policy.pdf")
    expect(again).not_to_contain_text("twenty-five")
