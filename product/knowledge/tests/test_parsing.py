"""Parsing uploads: every kind into blocks with pages and heading paths, and every failure as a
ParseError whose message a person can act on. Fixture files are made here, in memory."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
import pytest
from docx.document import Document as DocxDocument
from fpdf import FPDF
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from product.core.errors import InvalidInput
from product.knowledge.parsing import (
    FAILURE_CODES,
    Block,
    Kind,
    Limits,
    ParsedDocument,
    ParseError,
    detect_kind,
    parse,
    safe_filename,
)

FIXED_DATE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
LOREM = "The quick brown fox jumps over the lazy dog near the quiet river bank. "


def make_pdf(
    pages: list[list[str]],
    *,
    title: str = "",
    sections: dict[int, list[tuple[int, str]]] | None = None,
    owner_password: str | None = None,
    user_password: str | None = None,
) -> bytes:
    """A text PDF: one list of paragraphs per page; `sections` puts outline entries (level,
    title) at the top of a page (0-based), with the title printed as a heading line."""
    pdf = FPDF()
    pdf.set_creation_date(FIXED_DATE)
    if title:
        pdf.set_title(title)
    if owner_password:
        pdf.set_encryption(owner_password=owner_password, user_password=user_password)
    pdf.set_font("Helvetica", size=11)
    for index, paragraphs in enumerate(pages):
        pdf.add_page()
        for level, name in (sections or {}).get(index, []):
            pdf.start_section(name, level=level)
            pdf.set_font("Helvetica", size=16)
            pdf.cell(0, 10, name, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 5, paragraph)
            pdf.ln(4)
    return bytes(pdf.output())


def make_scanned_pdf(page_count: int) -> bytes:
    """What a scanner makes: every page an image, no text layer."""
    pdf = FPDF()
    pdf.set_creation_date(FIXED_DATE)
    scan = Image.new("RGB", (300, 400), "white")
    for _ in range(page_count):
        pdf.add_page()
        pdf.image(scan, x=10, y=10, w=190)
    return bytes(pdf.output())


def docx_bytes(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def failure(data: bytes, filename: str, limits: Limits | None = None) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse(data, filename=filename, limits=limits)
    return caught.value


# --- PDF --------------------------------------------------------------------------------------


def test_it_reads_a_multi_page_pdf_page_by_page() -> None:
    pages = [
        [f"Page {n} first paragraph. {LOREM * 3}", f"Page {n} second. {LOREM}"] for n in (1, 2, 3)
    ]
    parsed = parse(make_pdf(pages, title="Handbook"), filename="handbook.pdf")
    assert parsed.kind == Kind.PDF
    assert parsed.page_count == 3
    assert parsed.title == "Handbook"
    assert [block.page for block in parsed.blocks] == [1, 1, 2, 2, 3, 3]
    assert parsed.blocks[2].text.startswith("Page 2 first paragraph. The quick brown fox")
    # Lines wrapped by the PDF join back into one paragraph.
    assert parsed.blocks[2].text == f"Page 2 first paragraph. {LOREM * 3}".strip()


def test_it_takes_pdf_headings_from_the_outline() -> None:
    pages = [["Intro text."], ["More intro text."], [f"Linux text. {LOREM}"], ["Mac text."]]
    sections = {0: [(0, "Install")], 2: [(1, "On Linux")], 3: [(1, "On macOS")]}
    parsed = parse(make_pdf(pages, sections=sections), filename="install.pdf")
    by_text = {block.text: block for block in parsed.blocks}
    assert by_text["Install"] == Block("Install", page=1, heading="Install", is_heading=True)
    assert by_text["More intro text."].heading == "Install"
    assert by_text["On Linux"].is_heading
    assert by_text[f"Linux text. {LOREM}".strip()].heading == "Install › On Linux"
    assert by_text["Mac text."].heading == "Install › On macOS"
    # No metadata title: the first heading stands in.
    assert parsed.title == "Install"


def test_it_drops_page_number_lines_from_pdf_pages() -> None:
    parsed = parse(make_pdf([["Body text here.", "7"]]), filename="numbered.pdf")
    assert [block.text for block in parsed.blocks] == ["Body text here."]


def test_it_refuses_a_scanned_pdf() -> None:
    error = failure(make_scanned_pdf(3), "scan.pdf")
    assert error.code == "scanned_pdf"
    assert error.message == "This PDF has no text layer (a scanned PDF?); OCR is not supported."


def test_it_reads_the_text_pages_of_a_partly_scanned_pdf() -> None:
    pdf = FPDF()
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.image(Image.new("RGB", (30, 40), "white"), x=10, y=10, w=100)
    pdf.add_page()
    pdf.multi_cell(0, 5, "Typed page.")
    parsed = parse(bytes(pdf.output()), filename="mixed.pdf")
    assert parsed.page_count == 2
    assert parsed.blocks == [Block("Typed page.", page=2, heading="")]


def test_it_refuses_an_encrypted_pdf() -> None:
    data = make_pdf([["Secret."]], owner_password="owner", user_password="user")
    error = failure(data, "secret.pdf")
    assert error.code == "encrypted_pdf"
    assert error.message == "This PDF is encrypted; remove the password and upload it again."


def test_it_reads_a_pdf_that_only_restricts_permissions() -> None:
    # An owner password without a user password opens for anyone (printing/copying limits only).
    parsed = parse(make_pdf([["Open to read."]], owner_password="owner"), filename="locked.pdf")
    assert [block.text for block in parsed.blocks] == ["Open to read."]


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_it_refuses_a_truncated_pdf(keep: float) -> None:
    data = make_pdf([[LOREM * 5]] * 3)
    error = failure(data[: int(len(data) * keep)], "cut.pdf")
    assert error.code == "corrupt"
    assert error.message == "The file could not be read as a PDF; it may be corrupt."


def test_it_refuses_a_pdf_named_file_that_is_not_a_pdf() -> None:
    error = failure(b"just some words", "report.pdf")
    assert (error.code, error.message) == (
        "corrupt",
        "The file could not be read as a PDF; it may be corrupt.",
    )


def test_it_counts_pages_before_extracting_any() -> None:
    data = make_pdf([["One."], ["Two."], ["Three."]])
    error = failure(data, "long.pdf", Limits(max_pages=2))
    assert error.code == "too_many_pages"
    assert error.message == "This PDF has 3 pages; the limit is 2."


def test_it_stops_a_pdf_at_the_character_limit() -> None:
    data = make_pdf([[LOREM * 4]] * 5)
    error = failure(data, "wordy.pdf", Limits(max_chars=1000))
    assert error.code == "too_large"
    assert error.message == (
        "The document has more than the limit of 1,000 characters of text; split it into "
        "smaller files and upload them again."
    )


def test_it_stops_a_pdf_past_its_time_budget() -> None:
    # Opening the document alone takes longer than a nanosecond; the check between pages fires.
    error = failure(make_pdf([["One."], ["Two."]]), "slow.pdf", Limits(max_seconds=1e-9))
    assert error.code == "timeout"
    assert error.message.startswith("Reading the file took longer than 1e-09 seconds;")


# --- size, type, emptiness ----------------------------------------------------------------------


def test_it_checks_the_size_before_reading_anything() -> None:
    # Not even a PDF: the size alone decides.
    error = failure(b"\x00" * (int(31.2 * 1024 * 1024)), "big.pdf")
    assert error.code == "too_large"
    assert error.message == "The file is 31.2 MB; the limit is 25 MB."


def test_it_words_small_limits_in_kilobytes() -> None:
    error = failure(b"a" * 3000, "notes.txt", Limits(max_bytes=2048))
    assert error.message == "The file is 2.9 KB; the limit is 2 KB."


def test_it_reads_its_limits_from_settings(settings) -> None:
    settings.KNOWLEDGE_MAX_UPLOAD_BYTES = 1000
    settings.KNOWLEDGE_MAX_PAGES = 5
    settings.KNOWLEDGE_MAX_CHARS = 700
    settings.KNOWLEDGE_PARSE_TIMEOUT_S = 2
    assert Limits.from_settings() == Limits(
        max_bytes=1000, max_pages=5, max_chars=700, max_seconds=2.0
    )
    assert failure(b"a" * 1001, "notes.txt").code == "too_large"


def test_it_defaults_the_limits_when_settings_do_not_name_them(settings) -> None:
    for name in (
        "KNOWLEDGE_MAX_UPLOAD_BYTES",
        "KNOWLEDGE_MAX_PAGES",
        "KNOWLEDGE_MAX_CHARS",
        "KNOWLEDGE_PARSE_TIMEOUT_S",
    ):
        if hasattr(settings, name):
            delattr(settings, name)
    assert Limits.from_settings() == Limits(
        max_bytes=25 * 1024 * 1024, max_pages=2000, max_chars=5_000_000, max_seconds=60.0
    )


def test_it_refuses_a_spreadsheet_by_its_extension() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("[Content_Types].xml", "<Types/>")
        zipped.writestr("xl/workbook.xml", "<workbook/>")
    error = failure(archive.getvalue(), "budget.xlsx")
    assert error.code == "unsupported_type"
    assert error.message == (
        "Files of type .xlsx are not supported; upload PDF, DOCX, HTML, Markdown or plain text."
    )


def test_it_refuses_an_image_whatever_its_name() -> None:
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, format="PNG")
    error = failure(png.getvalue(), "notes.txt")
    assert error.code == "unsupported_type"
    assert error.message == (
        "This file is a PNG image, which is not supported; upload PDF, DOCX, HTML, Markdown or "
        "plain text."
    )


def test_it_refuses_an_unknown_binary_without_a_name_to_go_by() -> None:
    error = failure(b"\x00\x01\x02binary", "blob")
    assert error.code == "unsupported_type"
    assert error.message == (
        "This type of file is not supported; upload PDF, DOCX, HTML, Markdown or plain text."
    )


def test_it_refuses_an_empty_file() -> None:
    error = failure(b"", "nothing.txt")
    assert (error.code, error.message) == ("empty", "The file is empty.")


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"  \n\n \t \n", "blank.txt", "The file has no text to index."),
        (
            b"<html><body><script>x()</script></body></html>",
            "app.html",
            "The page has no text to index.",
        ),
        (b"\n\n---\n\n", "rule.md", "The file has no text to index."),
    ],
)
def test_it_refuses_a_file_without_text(data: bytes, filename: str, message: str) -> None:
    error = failure(data, filename)
    assert (error.code, error.message) == ("empty", message)


def test_it_refuses_binary_data_named_as_text() -> None:
    error = failure(b"hello\x00\x00world", "notes.txt")
    assert error.code == "corrupt"
    assert error.message == (
        "The file contains binary data, so it cannot be read as text; it may be corrupt or of "
        "another type."
    )


def test_its_errors_are_invalid_input_with_one_of_the_known_codes() -> None:
    error = failure(b"", "x.txt")
    assert isinstance(error, InvalidInput)
    assert error.status == 422
    assert error.code in FAILURE_CODES


@pytest.mark.parametrize(
    ("filename", "head", "kind"),
    [
        ("report.pdf", b"%PDF-1.7\n", Kind.PDF),
        ("report.txt", b"%PDF-1.4\n", Kind.PDF),  # the bytes win over the name
        ("scan", b"\r\n%PDF-1.4", Kind.PDF),
        ("letter.docx", b"PK\x03\x04....", Kind.DOCX),
        ("letter", b"PK\x03\x04...word/document.xml", Kind.DOCX),
        ("page.HTM", b"hello", Kind.HTML),
        ("page", b"\xef\xbb\xbf  <!DOCTYPE html><html>", Kind.HTML),
        ("notes.md", b"<div>raw html in markdown</div>", Kind.MARKDOWN),
        ("notes.markdown", b"# x", Kind.MARKDOWN),
        ("notes.txt", b"<html>", Kind.TEXT),
        ("README", b"plain words", Kind.TEXT),
        ("C:\\Users\\alice\\server.log", b"plain words", Kind.TEXT),
    ],
)
def test_it_detects_the_kind_by_magic_bytes_then_extension(
    filename: str, head: bytes, kind: Kind
) -> None:
    assert detect_kind(filename, head) == kind


@pytest.mark.parametrize(
    ("filename", "head"),
    [
        ("book.epub", b"PK\x03\x04"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
        ("a.json", b"{}"),
    ],
)
def test_it_refuses_kinds_it_cannot_read(filename: str, head: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        detect_kind(filename, head)
    assert caught.value.code == "unsupported_type"


# --- DOCX -------------------------------------------------------------------------------------


def test_it_reads_docx_headings_paragraphs_and_table_rows() -> None:
    document = docx.Document()
    document.core_properties.title = "Team handbook"
    document.add_paragraph("Welcome to the handbook.")
    document.add_heading("Install", level=1)
    document.add_paragraph("Download the installer.")
    document.add_heading("On Linux", level=2)
    document.add_paragraph("Run   the\tscript.")
    document.add_paragraph("", style=None)
    table = document.add_table(rows=2, cols=3)
    for column, name in enumerate(["Name", "Version", "Notes"]):
        table.cell(0, column).text = name
    table.cell(1, 0).text = "keel"
    table.cell(1, 1).merge(table.cell(1, 2)).text = "1.0 stable"
    document.add_heading("Support", level=1)
    document.add_paragraph("Write to us.", style="List Bullet")

    parsed = parse(docx_bytes(document), filename="handbook.docx")
    assert parsed == ParsedDocument(
        kind=Kind.DOCX,
        blocks=[
            Block("Welcome to the handbook.", page=None, heading=""),
            Block("Install", page=None, heading="Install", is_heading=True),
            Block("Download the installer.", page=None, heading="Install"),
            Block("On Linux", page=None, heading="Install › On Linux", is_heading=True),
            Block("Run the script.", page=None, heading="Install › On Linux"),
            Block("Name | Version | Notes", page=None, heading="Install › On Linux"),
            # The merged cell is one cell, not one per column it spans.
            Block("keel | 1.0 stable", page=None, heading="Install › On Linux"),
            Block("Support", page=None, heading="Support", is_heading=True),
            Block("Write to us.", page=None, heading="Support"),
        ],
        page_count=None,
        title="Team handbook",
    )


def test_it_takes_a_docx_title_from_its_title_paragraph() -> None:
    document = docx.Document()
    document.add_heading("Quarterly report", level=0)  # level 0 is Word's "Title" style
    document.add_paragraph("Numbers went up.")
    parsed = parse(docx_bytes(document), filename="report.docx")
    assert parsed.title == "Quarterly report"
    assert [block.text for block in parsed.blocks] == ["Quarterly report", "Numbers went up."]


def test_it_refuses_a_docx_that_is_not_a_word_document() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("hello.txt", "not word")
    error = failure(archive.getvalue(), "letter.docx")
    assert error.code == "corrupt"
    assert error.message == (
        "The file could not be read as a Word document (DOCX); it may be corrupt."
    )


def test_it_refuses_a_truncated_docx() -> None:
    document = docx.Document()
    document.add_paragraph("Text.")
    data = docx_bytes(document)
    assert failure(data[: len(data) // 2], "letter.docx").code == "corrupt"


def test_it_refuses_a_docx_that_unpacks_far_beyond_the_limit() -> None:
    document = docx.Document()
    document.add_paragraph("a" * 2_000_000)  # compresses to almost nothing
    data = docx_bytes(document)
    limits = Limits(max_bytes=len(data) + 1)
    error = failure(data, "bomb.docx", limits)
    assert error.code == "too_large"
    assert error.message.startswith("The document unpacks to ")


def test_it_refuses_a_docx_without_text() -> None:
    error = failure(docx_bytes(docx.Document()), "blank.docx")
    assert (error.code, error.message) == ("empty", "The document has no text to index.")


# --- HTML -------------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html><head><title>Keel &amp; you</title><style>p { color: red }</style></head>
<body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<h1>Install <small>v2</small></h1>
<p>Run <b>pip</b>
   install keel.</p>
<script>console.log("never content")</script>
<template><p>Not rendered.</p></template>
<ul><li>One<ul><li>Nested</li></ul></li><li>Two</li></ul>
<h2>On <em>Linux</em></h2>
<pre>  apt install keel
    --yes</pre>
<table><tr><th>Name</th><th>Value</th></tr><tr><td>a<b>b</b>c</td><td><p>d</p><p>e</p></td></tr></table>
<h2>On macOS</h2>
<div>Loose <span>text</span> in a div</div>
<h1>Support</h1><p>Write to us.</p>
</body></html>
"""


def test_it_reads_html_blocks_under_their_headings() -> None:
    parsed = parse(PAGE.encode(), filename="install.html")
    assert parsed.title == "Keel & you"
    assert parsed.blocks == [
        Block("Install v2", page=None, heading="Install v2", is_heading=True),
        Block("Run pip install keel.", page=None, heading="Install v2"),
        Block("One", page=None, heading="Install v2"),
        Block("Nested", page=None, heading="Install v2"),
        Block("Two", page=None, heading="Install v2"),
        Block("On Linux", page=None, heading="Install v2 › On Linux", is_heading=True),
        # Code keeps its lines and indentation.
        Block("  apt install keel\n    --yes", page=None, heading="Install v2 › On Linux"),
        Block("Name | Value", page=None, heading="Install v2 › On Linux"),
        Block("abc | d e", page=None, heading="Install v2 › On Linux"),
        Block("On macOS", page=None, heading="Install v2 › On macOS", is_heading=True),
        Block("Loose text in a div", page=None, heading="Install v2 › On macOS"),
        Block("Support", page=None, heading="Support", is_heading=True),
        Block("Write to us.", page=None, heading="Support"),
    ]


def test_it_takes_the_first_heading_as_title_without_a_title_element() -> None:
    parsed = parse(b"<h2>Only heading</h2><p>Text.</p>", filename="page.html")
    assert parsed.title == "Only heading"


def test_it_decodes_html_by_its_declared_charset() -> None:
    page = '<html><head><meta charset="windows-1252"></head><body><p>Caf\u00e9 \u20ac5</p></body></html>'
    parsed = parse(page.encode("cp1252"), filename="menu.html")
    assert parsed.blocks[0].text == "Caf\u00e9 \u20ac5"


def test_it_walks_html_nested_deeper_than_python_recursion() -> None:
    page = "<div>" * 5000 + "<p>Deep.</p>" + "</div>" * 5000
    parsed = parse(page.encode(), filename="deep.html")
    assert [block.text for block in parsed.blocks] == ["Deep."]


def test_it_stops_html_past_its_time_budget() -> None:
    page = "".join(f"<p>Paragraph {n}.</p>" for n in range(100))
    error = failure(page.encode(), "slow.html", Limits(max_seconds=1e-9))
    assert error.code == "timeout"


# --- Markdown -----------------------------------------------------------------------------------

NOTES = """---
title: front matter is not content
---
# Setup

Install *everything*
first, then `run` it. ![diagram](d.png)

## Linux

- apt install keel
- configure

```sh
keel serve

keel migrate
```

| Flag | Meaning |
| --- | --- |
| -v | verbose |

<div>Raw <b>HTML</b> block<script>x()</script></div>

Setext heading
--------------

After it.
"""


def test_it_reads_markdown_structure() -> None:
    parsed = parse(NOTES.encode(), filename="notes.md")
    assert parsed.title == "Setup"
    assert parsed.blocks == [
        Block("Setup", page=None, heading="Setup", is_heading=True),
        Block("Install everything first, then run it. diagram", page=None, heading="Setup"),
        Block("Linux", page=None, heading="Setup › Linux", is_heading=True),
        Block("apt install keel", page=None, heading="Setup › Linux"),
        Block("configure", page=None, heading="Setup › Linux"),
        Block("keel serve\n\nkeel migrate", page=None, heading="Setup › Linux"),
        Block("Flag | Meaning", page=None, heading="Setup › Linux"),
        Block("-v | verbose", page=None, heading="Setup › Linux"),
        Block("Raw HTML block", page=None, heading="Setup › Linux"),
        Block("Setext heading", page=None, heading="Setup › Setext heading", is_heading=True),
        Block("After it.", page=None, heading="Setup › Setext heading"),
    ]


# --- plain text ---------------------------------------------------------------------------------


def test_it_splits_plain_text_into_paragraphs_on_blank_lines() -> None:
    text = "First line\nstill first.\r\n\r\nSecond   paragraph.\n \n\n\nThird.\n"
    parsed = parse(text.encode(), filename="notes.txt")
    assert parsed == ParsedDocument(
        kind=Kind.TEXT,
        blocks=[
            Block("First line still first.", page=None, heading=""),
            Block("Second paragraph.", page=None, heading=""),
            Block("Third.", page=None, heading=""),
        ],
        page_count=None,
        title="",
    )


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("\ufeffcaf\u00e9".encode(), "caf\u00e9"),  # UTF-8 with a BOM
        ("caf\u00e9 \u2013 ok".encode("cp1252"), "caf\u00e9 \u2013 ok"),  # not UTF-8: Windows-1252
        # 0x81 is undefined in Windows-1252: Latin-1, whose C1 control 0x81 is then dropped.
        (b"\x81caf\xe9", "caf\u00e9"),
        ("caf\u00e9".encode("utf-16"), "caf\u00e9"),  # UTF-16 with its BOM
    ],
)
def test_it_decodes_text_files(data: bytes, text: str) -> None:
    assert parse(data, filename="notes.txt").blocks[0].text == text


def test_it_removes_invisible_characters_from_text() -> None:
    parsed = parse("soft\u00adhyphen and\x07bell".encode(), filename="notes.txt")
    assert parsed.blocks[0].text == "softhyphen andbell"


def test_it_stops_text_at_the_character_limit() -> None:
    data = ("word " * 100 + "\n\n") * 10
    error = failure(data.encode(), "notes.txt", Limits(max_chars=2000))
    assert error.code == "too_large"
    assert "2,000 characters" in error.message


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\alice\\Q3 report.docx", "Q3 report.docx"),
        ("evil\u202efdp.exe", "evilfdp.exe"),  # a bidi override would show it as "evilexe.pdf"
        ("tab\tand\nnewline.txt", "tab and newline.txt"),
        ("  spaced   out  .md ", "spaced out .md"),
        ("..", "untitled"),
        ("uploads/", "untitled"),
        ("", "untitled"),
        ("\x00\x01", "untitled"),
    ],
)
def test_it_makes_a_safe_display_name(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_it_shortens_long_names_keeping_the_extension() -> None:
    name = "a" * 300 + ".pdf"
    safe = safe_filename(name)
    assert len(safe) == 200
    assert safe.endswith("aaa.pdf")
    assert len(safe_filename("b" * 300)) == 200


# --- hostile bytes --------------------------------------------------------------------------------

SAMPLE_PDF = make_pdf([[LOREM * 4, LOREM], [LOREM * 2]], sections={0: [(0, "Start")]})


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        # A real PDF with bytes overwritten and maybe cut short: PDFium's error paths.
        st.tuples(
            st.lists(
                st.tuples(st.integers(0, len(SAMPLE_PDF) - 1), st.integers(0, 255)), max_size=20
            ),
            st.integers(1, len(SAMPLE_PDF)),
        ).map(lambda edit: _mutated(SAMPLE_PDF, *edit)),
    ),
    filename=st.sampled_from(["a.pdf", "a.docx", "a.html", "a.md", "a.txt", "a", "a.xlsx"]),
)
def test_it_answers_any_bytes_with_a_document_or_a_parse_error(data: bytes, filename: str) -> None:
    try:
        parsed = parse(data, filename=filename)
    except ParseError as error:
        assert error.code in FAILURE_CODES
        assert error.message
    else:
        assert parsed.blocks
        for block in parsed.blocks:
            assert block.text and block.text == block.text.strip()
            assert "\x00" not in block.text


def _mutated(data: bytes, edits: list[tuple[int, int]], length: int) -> bytes:
    changed = bytearray(data)
    for position, value in edits:
        changed[position] = value
    return bytes(changed[:length])
