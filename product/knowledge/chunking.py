"""INTERIM (replaced by the parse branch): one chunk per block, to the spec's interface."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from product.knowledge.parsing import ParsedDocument
from product.llm.tokens import count_tokens


@dataclass(frozen=True)
class ChunkDraft:
    ordinal: int
    text: str
    heading: str
    page: int | None
    char_start: int
    char_end: int
    token_count: int
    content_hash: str


def document_text(parsed: ParsedDocument) -> str:
    return "\n\n".join(block.text for block in parsed.blocks)


def chunk(
    parsed: ParsedDocument, *, max_tokens: int = 350, overlap_tokens: int = 50
) -> list[ChunkDraft]:
    drafts, offset = [], 0
    for ordinal, block in enumerate(parsed.blocks):
        digest = hashlib.sha256(f"{block.heading}\n{block.text}".encode()).hexdigest()
        drafts.append(
            ChunkDraft(
                ordinal,
                block.text,
                block.heading,
                block.page,
                offset,
                offset + len(block.text),
                count_tokens(block.text),
                digest,
            )
        )
        offset += len(block.text) + 2
    return drafts
