"""Uploaded bytes → a `ParsedDocument`: the text as blocks, each with its page and heading path.

Every kind ends up as the same thing, a list of blocks (a paragraph, a heading, a list item, a
table row, a code block) in reading order, so the chunker never needs to know where a document
came from. Headings build a path ("Install › On Linux") that each block carries; PDFs carry their
page instead, with headings taken from the outline (bookmarks) when the file has one.

The input is a stranger's file, so everything is bounded before it can hurt: the size before
anything is read, the page count before any page is extracted, the characters while extracting,
and a time budget checked between pages and blocks. Whatever goes wrong ends as a `ParseError`
with a code for the program and a message for the person who uploaded the file; nothing else
escapes `parse()`.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import threading
import time
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Literal

from django.conf import settings

from product.core.errors import InvalidInput

HEADING_SEPARATOR: Final = " › "
SUPPORTED_TYPES: Final = "PDF, DOCX, HTML, Markdown or plain text"

DEFAULT_MAX_BYTES: Final = 25 * 1024 * 1024
DEFAULT_MAX_PAGES: Final = 2000
DEFAULT_MAX_CHARS: Final = 5_000_000
DEFAULT_MAX_SECONDS: Final = 60.0

# How much of the file detect_kind() looks at: magic bytes and an HTML doctype sit at the start.
HEAD_BYTES: Final = 4096
# A heading longer than this is someone's paragraph in a heading style; the path keeps its start.
MAX_HEADING_CHARS: Final = 200
MAX_FILENAME_CHARS: Final = 200
# A DOCX is a zip: refuse one whose parts unpack to far more than the upload limit (a zip bomb)
# before python-docx inflates them all into memory. Text-heavy documents compress about 5:1.
MAX_UNPACK_RATIO: Final = 10
# A PDF outline can be huge or hostile; headings beyond this many bookmarks are not worth it.
MAX_BOOKMARKS: Final = 10_000


class Kind(StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    HTML = "html"
    MARKDOWN = "markdown"
    TEXT = "text"


@dataclass(frozen=True)
class Block:
    text: str  # one paragraph / heading / list item / table row, normalised whitespace
    page: int | None  # 1-based PDF page; None for other kinds
    heading: str  # the heading path this block sits under ("" if none); a heading's includes itself
    is_heading: bool = False


@dataclass(frozen=True)
class ParsedDocument:
    kind: Kind
    blocks: list[Block]
    page_count: int | None  # PDFs only
    title: str  # from metadata / <title> / first heading / ""


FailureCode = Literal[
    "encrypted_pdf",
    "scanned_pdf",
    "corrupt",
    "too_large",
    "unsupported_type",
    "too_many_pages",
    "empty",
    "timeout",
]
FAILURE_CODES: Final[tuple[FailureCode, ...]] = (
    "encrypted_pdf",
    "scanned_pdf",
    "corrupt",
    "too_large",
    "unsupported_type",
    "too_many_pages",
    "empty",
    "timeout",
)


class ParseError(InvalidInput):
    """The file cannot be turned into text; `message` says why to the person who uploaded it."""

    default_code = "corrupt"
    default_message = "The file could not be read; it may be corrupt."

    def __init__(self, message: str, *, code: FailureCode) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pages: int = DEFAULT_MAX_PAGES
    max_chars: int = DEFAULT_MAX_CHARS
    max_seconds: float = DEFAULT_MAX_SECONDS

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_bytes=int(getattr(settings, "KNOWLEDGE_MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES)),
            max_pages=int(getattr(settings, "KNOWLEDGE_MAX_PAGES", DEFAULT_MAX_PAGES)),
            max_chars=int(getattr(settings, "KNOWLEDGE_MAX_CHARS", DEFAULT_MAX_CHARS)),
            max_seconds=float(getattr(settings, "KNOWLEDGE_PARSE_TIMEOUT_S", DEFAULT_MAX_SECONDS)),
        )


# --- names and kinds ------------------------------------------------------------------------


def safe_filename(name: str) -> str:
    """The name to show for an upload: its last path part, printable, at most 200 characters.

    Browsers send a bare name, but other clients may send a path ("C:\\Users\\x\\a.pdf",
    "../../etc/passwd") or control and bidi-override characters that would spoof what is shown.
    """
    base = re.split(r"[/\\]", name)[-1]
    base = unicodedata.normalize("NFC", base)
    # Controls (tabs, newlines) become spaces; the rest of category C goes: format characters
    # (bidi overrides, zero-width), surrogates, private use, unassigned.
    base = "".join(
        " " if category == "Cc" else char
        for char in base
        if not (category := unicodedata.category(char)).startswith("C") or category == "Cc"
    )
    base = " ".join(base.split()).strip(" .")
    if len(base) > MAX_FILENAME_CHARS:
        stem, dot, extension = base.rpartition(".")
        if dot and stem and 0 < len(extension) <= 16:
            base = stem[: MAX_FILENAME_CHARS - len(extension) - 1].rstrip() + "." + extension
        else:
            base = base[:MAX_FILENAME_CHARS].rstrip()
    return base or "untitled"


_EXTENSIONS: Final[dict[str, Kind]] = {
    "pdf": Kind.PDF,
    "docx": Kind.DOCX,
    "html": Kind.HTML,
    "htm": Kind.HTML,
    "xhtml": Kind.HTML,
    "md": Kind.MARKDOWN,
    "markdown": Kind.MARKDOWN,
    "mdown": Kind.MARKDOWN,
    "mkd": Kind.MARKDOWN,
    "txt": Kind.TEXT,
    "text": Kind.TEXT,
    "log": Kind.TEXT,
}

# Formats people upload by mistake, recognised by their first bytes whatever the name says.
_FOREIGN_MAGIC: Final[tuple[tuple[bytes, str], ...]] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.doc, .xls or .ppt)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF document"),
    (b"\x7fELF", "a program"),
)


def _extension(filename: str) -> str:
    base = re.split(r"[/\\]", filename)[-1].lower()
    _, dot, extension = base.rpartition(".")
    return extension if dot and extension.isalnum() and len(extension) <= 16 else ""


def _unsupported(extension: str, what: str | None = None) -> ParseError:
    if what:
        message = f"This file is {what}, which is not supported; upload {SUPPORTED_TYPES}."
    elif extension:
        message = f"Files of type .{extension} are not supported; upload {SUPPORTED_TYPES}."
    else:
        message = f"This type of file is not supported; upload {SUPPORTED_TYPES}."
    return ParseError(message, code="unsupported_type")


def detect_kind(filename: str, head: bytes) -> Kind:
    """The kind of a file from its first bytes, then its name; ParseError("unsupported_type")."""
    extension = _extension(filename)
    # PDF readers accept junk before the header, and so does PDFium.
    if b"%PDF-" in head[:1024]:
        return Kind.PDF
    if head.startswith(b"PK\x03\x04"):
        # A DOCX is a zip whose parts live under word/; .xlsx, .pptx, .odt and .zip are zips too.
        if b"word/" in head or extension == "docx":
            return Kind.DOCX
        if extension and extension not in _EXTENSIONS:
            raise _unsupported(extension)
        raise _unsupported(extension, "a ZIP archive")
    for magic, what in _FOREIGN_MAGIC:
        if head.startswith(magic):
            raise _unsupported(extension, what)
    if extension in _EXTENSIONS:
        # A .pdf or .docx without its magic bytes gets to fail as a corrupt file of that kind.
        return _EXTENSIONS[extension]
    if extension:
        raise _unsupported(extension)
    # No name to go by: sniff.
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return Kind.HTML
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _unsupported(extension)
    return Kind.TEXT


# --- shared machinery -------------------------------------------------------------------------


def _format_size(size: int) -> str:
    if size >= 1024 * 1024:
        value, unit = size / (1024 * 1024), "MB"
    elif size >= 1024:
        value, unit = size / 1024, "KB"
    else:
        return f"{size} bytes"
    # "25 MB", not "25.0 MB"; but "31.2 MB".
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {unit}"


# Invisible characters that would only get in the way of search and display: C0 controls other
# than whitespace (NUL among them: Postgres text cannot hold it), DEL and C1 controls, the soft
# hyphen, byte-order marks, non-characters and lone surrogates (from broken UTF-16 in PDFs).
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\ufeff\ufffe\uffff\ud800-\udfff]")


def _scrub(text: str) -> str:
    text = _INVISIBLE.sub("", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def clean_inline(text: str) -> str:
    """One line of text: invisible characters out, every run of whitespace one space."""
    return " ".join(_scrub(text).split())


def _clean_preformatted(text: str) -> str:
    """Code keeps its lines and indentation; trailing spaces and runs of blank lines go."""
    lines = [line.rstrip() for line in _scrub(text).replace("\r\n", "\n").split("\n")]
    text = "\n".join(lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


class _Budget:
    """The limits that apply while extracting: characters so far and the clock."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.chars = 0
        self.restart_clock()

    def restart_clock(self) -> None:
        self.deadline = time.monotonic() + self.limits.max_seconds

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            seconds = f"{self.limits.max_seconds:g}"
            raise ParseError(
                f"Reading the file took longer than {seconds} seconds; split it into smaller "
                "files and upload them again.",
                code="timeout",
            )

    def add_chars(self, count: int) -> None:
        self.chars += count
        if self.chars > self.limits.max_chars:
            raise ParseError(
                f"The document has more than the limit of {self.limits.max_chars:,} characters "
                "of text; split it into smaller files and upload them again.",
                code="too_large",
            )


@dataclass
class _Outline:
    """Collects blocks in reading order under a stack of headings."""

    budget: _Budget
    page: int | None = None
    blocks: list[Block] = field(default_factory=list)
    first_heading: str = ""
    _stack: list[tuple[int, str]] = field(default_factory=list)

    @property
    def path(self) -> str:
        return HEADING_SEPARATOR.join(text for _, text in self._stack)

    def enter(self, level: int, text: str, *, in_text: bool = True) -> None:
        """A heading of `level` (1 = top); `in_text` False when it is only in the PDF outline."""
        text = clean_inline(text)
        if not text:
            return
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        short = text if len(text) <= MAX_HEADING_CHARS else text[: MAX_HEADING_CHARS - 1] + "…"
        self._stack.append((level, short))
        self.first_heading = self.first_heading or text
        if in_text:
            self._emit(Block(text=text, page=self.page, heading=self.path, is_heading=True))

    def add(self, text: str, *, preformatted: bool = False) -> None:
        text = _clean_preformatted(text) if preformatted else clean_inline(text)
        if text:
            self._emit(Block(text=text, page=self.page, heading=self.path))

    def _emit(self, block: Block) -> None:
        self.budget.check_time()
        self.budget.add_chars(len(block.text))
        self.blocks.append(block)


def _empty(what: str = "The file") -> ParseError:
    return ParseError(f"{what} has no text to index.", code="empty")


def _binary() -> ParseError:
    return ParseError(
        "The file contains binary data, so it cannot be read as text; it may be corrupt or of "
        "another type.",
        code="corrupt",
    )


def decode_text(data: bytes) -> str:
    """Bytes of a text file as text: UTF-8 (with or without a BOM), UTF-16 with its BOM, or else
    Windows-1252, and Latin-1 for the few bytes Windows-1252 leaves undefined."""
    if data.startswith(codecs.BOM_UTF8):
        # The BOM says UTF-8: a stray bad byte is a broken character, not another encoding.
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
        if "\x00" in text:
            raise _binary()
        return text
    if b"\x00" in data:
        raise _binary()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# --- the entry point --------------------------------------------------------------------------


def parse(data: bytes, *, filename: str, limits: Limits | None = None) -> ParsedDocument:
    """The blocks of an uploaded file; ParseError (with a readable message) when it has none."""
    limits = limits or Limits.from_settings()
    if len(data) > limits.max_bytes:
        raise ParseError(
            f"The file is {_format_size(len(data))}; the limit is {_format_size(limits.max_bytes)}.",
            code="too_large",
        )
    if not data:
        raise ParseError("The file is empty.", code="empty")
    kind = detect_kind(filename, data[:HEAD_BYTES])
    return _PARSERS[kind](data, _Budget(limits))


# --- PDF --------------------------------------------------------------------------------------

# PDFium is not thread-safe, not even across documents, and the worker runs jobs in threads: one
# PDF at a time per process (PDFium's own advice is processes for parallel work).
_PDFIUM_LOCK = threading.Lock()
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A running header or footer that is only the page number: "3", "- 3 -", "Page 3 of 10", "3/10".
_PAGE_NUMBER = re.compile(r"[-–—\s]*(?:page\s*)?\d+(?:\s*(?:/|of)\s*\d+)?[-–—\s]*", re.IGNORECASE)
# Shares of the page's typical line length: under the first a line ends its paragraph; under
# the second it does when it also ends a sentence and the next line starts one.
_SHORT_LINE = 0.7
_SHORTISH_LINE = 0.9
_SENTENCE_END = (".", "!", "?", ":", "…", '."', ".”")


def _pdf_paragraphs(page_text: str, headings: frozenset[str] = frozenset()) -> list[str]:
    """A page's text as paragraphs.

    PDFium gives lines, not paragraphs. A paragraph ends at a blank line, at a line clearly
    shorter than the page's typical full line (a last line, a heading, a list item), or at a
    somewhat short line that ends a sentence when the next starts one. A line that reads as one
    of the page's bookmarked `headings` (casefolded) stands alone. A wrong guess costs little:
    the chunker packs a section's paragraphs together and only prefers their edges.
    """
    lines = [clean_inline(line) for line in _LINE_BREAK.split(page_text)]
    filled = [index for index, line in enumerate(lines) if line]
    if not filled:
        return []
    for index in {filled[0], filled[-1]}:
        if _PAGE_NUMBER.fullmatch(lines[index]):
            lines[index] = ""
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return []
    typical = lengths[min(len(lengths) - 1, int(len(lengths) * 0.8))]
    paragraphs: list[str] = []
    current = ""
    for index, line in enumerate(lines):
        is_heading = line.casefold() in headings
        if not line or is_heading:
            if current:
                paragraphs.append(current)
                current = ""
            if is_heading:
                paragraphs.append(line)
            continue
        # A word broken at the line's end ("infor-" + "mation") joins without a space.
        joiner = "" if current.endswith("-") or not current else " "
        current = current + joiner + line
        following = lines[index + 1] if index + 1 < len(lines) else ""
        ends_paragraph = len(line) < typical * _SHORT_LINE or (
            len(line) < typical * _SHORTISH_LINE
            and line.endswith(_SENTENCE_END)
            and following[:1].isupper()
        )
        if ends_paragraph:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def _pdf_outline(document: Any) -> dict[int, list[tuple[int, str]]]:
    """Bookmarks by 0-based page index: (level, title) in outline order."""
    by_page: dict[int, list[tuple[int, str]]] = {}
    for count, bookmark in enumerate(document.get_toc()):
        if count >= MAX_BOOKMARKS:
            break
        destination = bookmark.get_dest()
        index = destination.get_index() if destination is not None else None
        title = clean_inline(bookmark.get_title())
        if index is not None and title:
            by_page.setdefault(index, []).append((bookmark.level + 1, title))
    return by_page


def _pdf_page_blocks(
    outline: _Outline, paragraphs: list[str], bookmarks: list[tuple[int, str]]
) -> None:
    """Add a page's paragraphs, switching headings where the page's bookmarks point.

    A bookmark names its page, not its place on the page: its heading starts at the paragraph
    that reads like its title, or at the top of the page when none does.
    """
    position = 0
    for level, title in bookmarks:
        wanted = title.casefold()
        found = next(
            (
                index
                for index in range(position, len(paragraphs))
                if paragraphs[index].casefold() == wanted
            ),
            None,
        )
        if found is None:
            outline.enter(level, title, in_text=False)
            continue
        for paragraph in paragraphs[position:found]:
            outline.add(paragraph)
        outline.enter(level, paragraphs[found])
        position = found + 1
    for paragraph in paragraphs[position:]:
        outline.add(paragraph)


def _parse_pdf(data: bytes, budget: _Budget) -> ParsedDocument:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    with _PDFIUM_LOCK:
        # Waiting for another thread's PDF is not this file's time.
        budget.restart_clock()
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
                raise ParseError(
                    "This PDF is encrypted; remove the password and upload it again.",
                    code="encrypted_pdf",
                ) from exc
            raise _corrupt_pdf() from exc
        except Exception as exc:  # PDFium on hostile bytes: whatever it raises, the file is bad.
            raise _corrupt_pdf() from exc
        try:
            return _read_pdf(document, budget)
        finally:
            # Pages, text pages and documents hold native memory until closed.
            document.close()


def _corrupt_pdf() -> ParseError:
    return ParseError("The file could not be read as a PDF; it may be corrupt.", code="corrupt")


def _read_pdf(document: Any, budget: _Budget) -> ParsedDocument:
    page_count = len(document)
    if page_count == 0:
        raise ParseError("This PDF has no pages.", code="empty")
    if page_count > budget.limits.max_pages:
        raise ParseError(
            f"This PDF has {page_count:,} pages; the limit is {budget.limits.max_pages:,}.",
            code="too_many_pages",
        )
    try:
        bookmarks = _pdf_outline(document)
    except Exception:  # A broken outline costs headings, not the document.
        bookmarks = {}
    outline = _Outline(budget)
    pages_with_text = 0
    for index in range(page_count):
        budget.check_time()
        try:
            page = document[index]
        except Exception as exc:
            raise _corrupt_pdf() from exc
        try:
            textpage = page.get_textpage()
            try:
                page_text = textpage.get_text_bounded()
            finally:
                textpage.close()
        except Exception as exc:
            raise _corrupt_pdf() from exc
        finally:
            page.close()
        page_bookmarks = bookmarks.get(index, [])
        titles = frozenset(title.casefold() for _, title in page_bookmarks)
        paragraphs = _pdf_paragraphs(page_text, titles)
        if paragraphs:
            pages_with_text += 1
        outline.page = index + 1
        _pdf_page_blocks(outline, paragraphs, page_bookmarks)
    if pages_with_text == 0:
        raise ParseError(
            "This PDF has no text layer (a scanned PDF?); OCR is not supported.",
            code="scanned_pdf",
        )
    metadata_title = ""
    with contextlib.suppress(Exception):  # metadata is a nicety
        metadata_title = clean_inline(document.get_metadata_value("Title") or "")
    return ParsedDocument(
        kind=Kind.PDF,
        blocks=outline.blocks,
        page_count=page_count,
        title=metadata_title or outline.first_heading,
    )


# --- DOCX -------------------------------------------------------------------------------------


def _corrupt_docx() -> ParseError:
    return ParseError(
        "The file could not be read as a Word document (DOCX); it may be corrupt.", code="corrupt"
    )


_DOCX_HEADING = re.compile(r"Heading ([1-9])")


def _parse_docx(data: bytes, budget: _Budget) -> ParsedDocument:
    import docx
    from docx.table import Table

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise _corrupt_docx() from exc
    unpack_limit = budget.limits.max_bytes * MAX_UNPACK_RATIO
    if unpacked > unpack_limit:
        raise ParseError(
            f"The document unpacks to {_format_size(unpacked)}; the limit is "
            f"{_format_size(unpack_limit)}.",
            code="too_large",
        )
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx and lxml on hostile bytes: any failure means corrupt.
        raise _corrupt_docx() from exc

    outline = _Outline(budget)
    title = clean_inline(document.core_properties.title or "")
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                # A merged cell comes back once per grid column it spans.
                cells: list[str] = []
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    text = clean_inline(cell.text)
                    if text:
                        cells.append(text)
                outline.add(" | ".join(cells))
            continue
        style = item.style
        style_name = style.name if style is not None and style.name else ""
        heading = _DOCX_HEADING.fullmatch(style_name)
        if heading:
            outline.enter(int(heading.group(1)), item.text)
        elif style_name == "Title":
            title = title or clean_inline(item.text)
            outline.add(item.text)
        else:
            outline.add(item.text)
    if not outline.blocks:
        raise _empty("The document")
    return ParsedDocument(
        kind=Kind.DOCX,
        blocks=outline.blocks,
        page_count=None,
        title=title or outline.first_heading,
    )


# --- HTML -------------------------------------------------------------------------------------

# Never content: code, styling, navigation, templates, embedded objects. The <head> gives only
# the <title>, read separately.
_HTML_SKIP: Final = frozenset(
    {"script", "style", "nav", "template", "noscript", "svg", "iframe", "object", "canvas", "head"}
)
_HTML_HEADINGS: Final = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Elements that end the text before them and start a new block.
_HTML_BLOCKS: Final = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "header",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "td",
        "th",
        "ul",
    ]
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _decode_html(data: bytes) -> str:
    if not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        declared = _META_CHARSET.search(data[:HEAD_BYTES])
        if declared and b"\x00" not in data:
            try:
                name = codecs.lookup(declared.group(1).decode("ascii")).name
            except LookupError:
                name = ""
            # As browsers do: Latin-1 and ASCII labels mean Windows-1252; UTF-16 cannot be
            # declared from inside an ASCII-compatible file.
            if name in ("latin-1", "iso8859-1", "ascii"):
                name = "cp1252"
            if name and not name.startswith("utf-16"):
                return data.decode(name, errors="replace")
    return decode_text(data)


class _HtmlWalker:
    """Walks the DOM in document order, turning block elements into blocks."""

    def __init__(self, outline: _Outline) -> None:
        self.outline = outline
        self.parts: list[str] = []
        self.pre_depth = 0
        self.heading_depth = 0
        self.row_depth = 0
        self.cells: list[str] = []

    def flush(self) -> None:
        if self.parts:
            self.outline.add("".join(self.parts))
            self.parts = []

    def walk(self, root: Any) -> None:
        # An explicit stack: real pages nest deeper than Python's recursion limit allows.
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            if leaving:
                self.leave(node.tag)
                continue
            if node.is_text_node:
                self.parts.append(node.text_content or "")
                continue
            tag = node.tag
            if not node.is_element_node or tag in _HTML_SKIP:
                continue
            self.enter(tag)
            stack.append((node, True))
            children = list(node.iter(include_text=True))
            stack.extend((child, False) for child in reversed(children))

    def enter(self, tag: str) -> None:
        if tag == "br":
            self.parts.append("\n" if self.pre_depth else " ")
        elif self.row_depth:
            # Inside a table row everything joins its cell; only the row is a block.
            if tag == "tr":
                self.row_depth += 1
            if tag in _HTML_BLOCKS or tag in _HTML_HEADINGS:
                self.parts.append(" ")
        elif tag == "tr":
            self.flush()
            self.row_depth = 1
            self.cells = []
        elif tag == "pre":
            if not self.pre_depth:
                self.flush()
            self.pre_depth += 1
        elif self.pre_depth or self.heading_depth:
            # A heading's or a code block's inner elements are part of its one block.
            if tag in _HTML_HEADINGS:
                self.heading_depth += 1
            elif self.heading_depth and tag in _HTML_BLOCKS:
                self.parts.append(" ")
        elif tag in _HTML_HEADINGS:
            self.flush()
            self.heading_depth = 1
        elif tag in _HTML_BLOCKS:
            self.flush()

    def leave(self, tag: str) -> None:
        if self.row_depth:
            if tag == "tr":
                self.row_depth -= 1
                if not self.row_depth:
                    self.cell_done()
                    self.outline.add(" | ".join(self.cells))
                    self.cells = []
            elif tag in ("td", "th") and self.row_depth == 1:
                self.cell_done()
            elif tag in _HTML_BLOCKS or tag in _HTML_HEADINGS:
                self.parts.append(" ")
        elif tag == "pre":
            self.pre_depth -= 1
            if not self.pre_depth:
                self.outline.add("".join(self.parts), preformatted=True)
                self.parts = []
        elif self.pre_depth:
            return
        elif self.heading_depth:
            if tag not in _HTML_HEADINGS:
                if tag in _HTML_BLOCKS:
                    self.parts.append(" ")
                return
            self.heading_depth -= 1
            if not self.heading_depth:
                text = "".join(self.parts)
                self.parts = []
                self.outline.enter(_HTML_HEADINGS[tag], text)
        elif tag in _HTML_BLOCKS:
            self.flush()

    def cell_done(self) -> None:
        text = clean_inline("".join(self.parts))
        self.parts = []
        if text:
            self.cells.append(text)


def _parse_html(data: bytes, budget: _Budget) -> ParsedDocument:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(_decode_html(data))
    title_node = tree.css_first("title")
    title = clean_inline(title_node.text()) if title_node is not None else ""
    outline = _Outline(budget)
    if tree.body is not None:
        walker = _HtmlWalker(outline)
        walker.walk(tree.body)
        walker.flush()
    if not outline.blocks:
        raise _empty("The page")
    return ParsedDocument(
        kind=Kind.HTML,
        blocks=outline.blocks,
        page_count=None,
        title=title or outline.first_heading,
    )


def _html_fragment_text(fragment: str) -> str:
    """The visible text of raw HTML inside Markdown."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(fragment)
    for node in tree.css(",".join(sorted(_HTML_SKIP - {"head"}))):
        node.decompose()
    return tree.body.text(separator=" ") if tree.body is not None else ""


# --- Markdown ---------------------------------------------------------------------------------

# YAML front matter ("---" … "---") at the very top, which CommonMark would read as a heading.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def _inline_text(token: Any) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "image"):
            # An image's content is its alt text.
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _parse_markdown(data: bytes, budget: _Budget) -> ParsedDocument:
    from markdown_it import MarkdownIt

    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    text = _FRONT_MATTER.sub("", text, count=1)
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    budget.check_time()
    outline = _Outline(budget)
    heading_level = 0
    cells: list[str] | None = None
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            heading_level = int(token.tag[1:])
        elif kind == "heading_close":
            heading_level = 0
        elif kind == "tr_open":
            cells = []
        elif kind == "tr_close" and cells is not None:
            outline.add(" | ".join(cells))
            cells = None
        elif kind == "inline":
            content = _inline_text(token)
            if heading_level:
                outline.enter(heading_level, content)
            elif cells is not None:
                cell = clean_inline(content)
                if cell:
                    cells.append(cell)
            else:
                outline.add(content)
        elif kind in ("fence", "code_block"):
            outline.add(token.content, preformatted=True)
        elif kind == "html_block":
            outline.add(_html_fragment_text(token.content))
    if not outline.blocks:
        raise _empty()
    return ParsedDocument(
        kind=Kind.MARKDOWN,
        blocks=outline.blocks,
        page_count=None,
        title=outline.first_heading,
    )


# --- plain text -------------------------------------------------------------------------------

_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")


def _parse_text(data: bytes, budget: _Budget) -> ParsedDocument:
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    outline = _Outline(budget)
    for paragraph in _BLANK_LINE.split(text):
        outline.add(paragraph)
    if not outline.blocks:
        raise _empty()
    return ParsedDocument(kind=Kind.TEXT, blocks=outline.blocks, page_count=None, title="")


_PARSERS: Final[dict[Kind, Callable[[bytes, _Budget], ParsedDocument]]] = {
    Kind.PDF: _parse_pdf,
    Kind.DOCX: _parse_docx,
    Kind.HTML: _parse_html,
    Kind.MARKDOWN: _parse_markdown,
    Kind.TEXT: _parse_text,
}
