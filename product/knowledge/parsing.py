"""INTERIM (replaced by the parse branch): plain-text parsing to the spec's interface."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum

from product.core.errors import InvalidInput


class Kind(StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    HTML = "html"
    MARKDOWN = "markdown"
    TEXT = "text"


@dataclass(frozen=True)
class Block:
    text: str
    page: int | None
    heading: str
    is_heading: bool = False


@dataclass(frozen=True)
class ParsedDocument:
    kind: Kind
    blocks: list[Block]
    page_count: int | None
    title: str


class ParseError(InvalidInput):
    pass


def safe_filename(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable())[:200]
    return base or "document"


def detect_kind(filename: str, head: bytes) -> Kind:
    if filename.endswith(".md"):
        return Kind.MARKDOWN
    if filename.endswith(".txt"):
        return Kind.TEXT
    raise ParseError("unsupported", code="unsupported_type")


def parse(data: bytes, *, filename: str, limits: object = None) -> ParsedDocument:
    text = data.decode("utf-8")
    blocks = [Block(p.strip(), None, "") for p in text.split("\n\n") if p.strip()]
    return ParsedDocument(detect_kind(filename, data[:10]), blocks, None, "")
