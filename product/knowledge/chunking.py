"""A `ParsedDocument` → chunks: the passages that are embedded, indexed, retrieved and cited.

The document's structure decides first, tokens second:
- a chunk never spans a heading change: each heading section is chunked on its own, and a
  section that is only headings ("Install" right before "Install › On Linux") opens the next
  section's first chunk instead of standing alone as a passage with no body;
- within a section, whole blocks are packed up to `max_tokens`; past half full a chunk ends at
  the next block edge rather than cutting a block, and also at a PDF page change;
- a block longer than that is cut at sentence ends, and a sentence too long for that at spaces
  (at any character as a last resort: a run of text with no spaces);
- the next chunk of the same section repeats about `overlap_tokens` from the end of the last, so
  a passage cut in two can still be found whole.

A chunk's text is exactly `document_text(parsed)[char_start:char_end]`, so a citation can point
back into the document, and the same content always gives the same `content_hash` (the
embedding of an unchanged chunk is reused when a document is uploaded again).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from product.knowledge.parsing import HEADING_SEPARATOR, Block, ParsedDocument
from product.llm.tokens import count_tokens

BLOCK_SEPARATOR: Final = "\n\n"
# Below this a chunk cannot hold a sentence's worth of context.
MIN_MAX_TOKENS: Final = 16
# "\n\n" between two blocks costs about one token.
_SEPARATOR_TOKENS: Final = 1


@dataclass(frozen=True)
class ChunkDraft:
    ordinal: int  # 0-based position in the document
    text: str  # what is embedded, indexed and shown
    heading: str  # heading path of the chunk's section
    page: int | None  # page of the chunk's first block
    char_start: int  # offsets into document_text(parsed) (the blocks joined with "\n\n")
    char_end: int
    token_count: int
    content_hash: str  # sha256 hex of (heading + "\n" + text)


def document_text(parsed: ParsedDocument) -> str:
    return BLOCK_SEPARATOR.join(block.text for block in parsed.blocks)


def content_hash(heading: str, text: str) -> str:
    return hashlib.sha256(f"{heading}\n{text}".encode()).hexdigest()


@dataclass(frozen=True)
class _Piece:
    """A run of one block's text (a sentence or less), by offsets into the document text."""

    start: int
    end: int
    tokens: int
    block: int
    page: int | None


@dataclass(frozen=True)
class _Section:
    heading: str
    blocks: list[int]


def chunk(
    parsed: ParsedDocument, *, max_tokens: int = 350, overlap_tokens: int = 50
) -> list[ChunkDraft]:
    if max_tokens < MIN_MAX_TOKENS:
        raise ValueError(f"max_tokens must be at least {MIN_MAX_TOKENS}")
    # Overlap beyond half a chunk would leave too little room for anything new.
    overlap = max(0, min(overlap_tokens, max_tokens // 2 - _SEPARATOR_TOKENS))
    # Pieces are at most half a chunk, so an overlap plus the next piece always fit in one.
    piece_limit = max_tokens // 2
    window = min(piece_limit, max(MIN_MAX_TOKENS // 2, overlap or max_tokens // 4))
    text = document_text(parsed)
    starts: list[int] = []
    offset = 0
    for block in parsed.blocks:
        starts.append(offset)
        offset += len(block.text) + len(BLOCK_SEPARATOR)

    drafts: list[ChunkDraft] = []
    for section in _sections(parsed.blocks):
        pieces = [
            piece
            for index in section.blocks
            for piece in _block_pieces(
                text,
                starts[index],
                parsed.blocks[index],
                index,
                piece_limit=piece_limit,
                window=window,
            )
        ]
        for first, last in _pack(pieces, text, max_tokens=max_tokens, overlap=overlap):
            start, end = pieces[first].start, pieces[last - 1].end
            chunk_text = text[start:end]
            drafts.append(
                ChunkDraft(
                    ordinal=len(drafts),
                    text=chunk_text,
                    heading=section.heading,
                    page=pieces[first].page,
                    char_start=start,
                    char_end=end,
                    token_count=count_tokens(chunk_text),
                    content_hash=content_hash(section.heading, chunk_text),
                )
            )
    return drafts


def _sections(blocks: list[Block]) -> list[_Section]:
    """Runs of blocks under one heading path; a heading block always starts a new run."""
    runs: list[_Section] = []
    for index, block in enumerate(blocks):
        if not block.text.strip():
            continue
        if runs and not block.is_heading and runs[-1].heading == block.heading:
            runs[-1].blocks.append(index)
        else:
            runs.append(_Section(heading=block.heading, blocks=[index]))

    sections: list[_Section] = []
    carried: _Section | None = None
    for run in runs:
        if carried is not None:
            if run.heading.startswith(carried.heading + HEADING_SEPARATOR):
                run = _Section(heading=run.heading, blocks=carried.blocks + run.blocks)
            else:
                sections.append(carried)
            carried = None
        if all(blocks[index].is_heading for index in run.blocks):
            carried = run
        else:
            sections.append(run)
    if carried is not None:
        sections.append(carried)
    return sections


# The end of a sentence: closing punctuation (and quotes or brackets after it) before a space, or
# CJK full stops, which need none; a line break inside a block (code) ends a piece too.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|[。！？]+|\n")
_WORD = re.compile(r"\S+")


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span without its outer whitespace; None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _block_pieces(
    text: str, offset: int, block: Block, index: int, *, piece_limit: int, window: int
) -> Iterator[_Piece]:
    """A block as sentences; a sentence longer than piece_limit as windows of about `window`."""
    cuts = [offset + match.end() for match in _SENTENCE_END.finditer(block.text)]
    bounds = [offset, *cuts, offset + len(block.text)]
    for sentence_start, sentence_end in zip(bounds, bounds[1:], strict=False):
        span = _trimmed(text, sentence_start, sentence_end)
        if span is None:
            continue
        tokens = count_tokens(text[span[0] : span[1]])
        if tokens <= piece_limit:
            yield _Piece(span[0], span[1], tokens, index, block.page)
        else:
            for start, end, window_tokens in _windows(text, span[0], span[1], window):
                yield _Piece(start, end, window_tokens, index, block.page)


def _windows(text: str, start: int, end: int, window: int) -> Iterator[tuple[int, int, int]]:
    """Cut [start, end) at spaces into runs of at most `window` tokens (exact counts)."""
    run_start: int | None = None
    run_end = start
    run_tokens = 0
    for match in _WORD.finditer(text, start, end):
        word_tokens = count_tokens(match.group())
        if word_tokens > window:
            if run_start is not None:
                yield run_start, run_end, count_tokens(text[run_start:run_end])
                run_start = None
            yield from _character_windows(text, match.start(), match.end(), window)
            continue
        if run_start is not None and run_tokens + word_tokens > window:
            tokens = count_tokens(text[run_start:run_end])
            if tokens <= window:
                yield run_start, run_end, tokens
                run_start = None
            else:
                # Joined words can count differently than apart; halve until it fits.
                yield from _character_windows(text, run_start, run_end, window)
                run_start = None
        if run_start is None:
            run_start, run_tokens = match.start(), 0
        run_end = match.end()
        run_tokens += word_tokens
    if run_start is not None:
        tokens = count_tokens(text[run_start:run_end])
        if tokens <= window:
            yield run_start, run_end, tokens
        else:
            yield from _character_windows(text, run_start, run_end, window)


def _character_windows(
    text: str, start: int, end: int, window: int
) -> Iterator[tuple[int, int, int]]:
    """Text with no usable spaces (a long URL, CJK) cut anywhere into runs of ≤ window tokens."""
    position = start
    while position < end:
        size = max(1, min(end - position, window * 2))
        while True:
            tokens = count_tokens(text[position : position + size])
            if tokens <= window or size == 1:
                break
            size = max(1, size // 2)
        span = _trimmed(text, position, position + size)
        if span is not None:
            yield span[0], span[1], count_tokens(text[span[0] : span[1]])
        position += size


def _pack(
    pieces: list[_Piece], text: str, *, max_tokens: int, overlap: int
) -> Iterator[tuple[int, int]]:
    """Chunks of a section as [first, last) ranges of its pieces."""

    def cost(first: int, last: int) -> int:
        """Estimated tokens of pieces[first:last] joined as they stand in the document."""
        total = 0
        for index in range(first, last):
            total += pieces[index].tokens
            if index > first and pieces[index].block != pieces[index - 1].block:
                total += _SEPARATOR_TOKENS
        return total

    first = 0
    fresh = 0  # the first piece not yet in any chunk: every chunk must take at least it
    while first < len(pieces):
        last = max(first + 1, fresh + 1)
        total = cost(first, last)
        while last < len(pieces):
            piece, previous = pieces[last], pieces[last - 1]
            new_block = piece.block != previous.block
            added = piece.tokens + (_SEPARATOR_TOKENS if new_block else 0)
            if total + added > max_tokens:
                break
            if new_block and total * 2 > max_tokens:
                # Past half full, end at a block edge rather than cut the next block, and at a
                # page change rather than start a page's text in a chunk of the page before.
                if piece.page != previous.page:
                    break
                block_end = last
                while block_end < len(pieces) and pieces[block_end].block == piece.block:
                    block_end += 1
                if total + _SEPARATOR_TOKENS + cost(last, block_end) > max_tokens:
                    break
            total += added
            last += 1
        # The estimate adds the pieces' own counts; joined, the text may count a little more.
        # Give back new pieces first (they start the next chunk), then repeated ones.
        while last > fresh + 1 and _joined_tokens(pieces, text, first, last) > max_tokens:
            last -= 1
        while first < fresh and _joined_tokens(pieces, text, first, last) > max_tokens:
            first += 1
        yield first, last
        if last >= len(pieces):
            return
        fresh = last
        # Repeat whole pieces from the end of this chunk, up to `overlap` tokens.
        next_first = last
        while next_first - 1 > first and cost(next_first - 1, last) <= overlap:
            next_first -= 1
        first = next_first


def _joined_tokens(pieces: list[_Piece], text: str, first: int, last: int) -> int:
    return count_tokens(text[pieces[first].start : pieces[last - 1].end])
