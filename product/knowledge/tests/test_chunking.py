"""Chunking: sections decide first, tokens second; offsets point back into the document text."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from product.knowledge.chunking import ChunkDraft, chunk, document_text
from product.knowledge.parsing import Block, Kind, ParsedDocument, parse
from product.knowledge.tests.test_parsing import LOREM, make_pdf
from product.llm.tokens import count_tokens


def doc(*blocks: Block, kind: Kind = Kind.MARKDOWN) -> ParsedDocument:
    return ParsedDocument(kind=kind, blocks=list(blocks), page_count=None, title="")


def sentences(count: int, topic: str = "fox") -> str:
    return " ".join(f"Sentence {n} is about the {topic} and its long day." for n in range(count))


def assert_well_formed(parsed: ParsedDocument, chunks: list[ChunkDraft], max_tokens: int) -> None:
    text = document_text(parsed)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert text[c.char_start : c.char_end] == c.text
        assert c.text.strip() == c.text != ""
        assert c.token_count == count_tokens(c.text) <= max_tokens
        expected = hashlib.sha256(f"{c.heading}\n{c.text}".encode()).hexdigest()
        assert c.content_hash == expected


def test_it_keeps_a_short_section_in_one_chunk_with_its_heading() -> None:
    parsed = doc(
        Block("Install", page=None, heading="Install", is_heading=True),
        Block("Download it.", page=None, heading="Install"),
        Block("Run it.", page=None, heading="Install"),
    )
    [only] = chunk(parsed)
    assert only == ChunkDraft(
        ordinal=0,
        text="Install\n\nDownload it.\n\nRun it.",
        heading="Install",
        page=None,
        char_start=0,
        char_end=len("Install\n\nDownload it.\n\nRun it."),
        token_count=count_tokens("Install\n\nDownload it.\n\nRun it."),
        content_hash=hashlib.sha256(b"Install\nInstall\n\nDownload it.\n\nRun it.").hexdigest(),
    )


def test_it_never_lets_a_chunk_span_a_heading_change() -> None:
    parsed = doc(
        Block("Intro words.", page=None, heading=""),
        Block("Install", page=None, heading="Install", is_heading=True),
        Block("Install words.", page=None, heading="Install"),
        Block("Usage", page=None, heading="Usage", is_heading=True),
        Block("Usage words.", page=None, heading="Usage"),
    )
    chunks = chunk(parsed)
    assert [(c.heading, c.text) for c in chunks] == [
        ("", "Intro words."),
        ("Install", "Install\n\nInstall words."),
        ("Usage", "Usage\n\nUsage words."),
    ]
    assert_well_formed(parsed, chunks, 350)


def test_it_starts_a_new_chunk_at_a_repeated_heading_of_the_same_path() -> None:
    parsed = doc(
        Block("Notes", page=None, heading="Notes", is_heading=True),
        Block("First notes.", page=None, heading="Notes"),
        Block("Notes", page=None, heading="Notes", is_heading=True),
        Block("Second notes.", page=None, heading="Notes"),
    )
    assert [c.text for c in chunk(parsed)] == ["Notes\n\nFirst notes.", "Notes\n\nSecond notes."]


def test_it_opens_the_next_section_with_headings_that_have_no_body() -> None:
    parsed = doc(
        Block("Guide", page=None, heading="Guide", is_heading=True),
        Block("Install", page=None, heading="Guide › Install", is_heading=True),
        Block("On Linux", page=None, heading="Guide › Install › On Linux", is_heading=True),
        Block("Use apt.", page=None, heading="Guide › Install › On Linux"),
        Block("FAQ", page=None, heading="FAQ", is_heading=True),
    )
    chunks = chunk(parsed)
    assert [(c.heading, c.text) for c in chunks] == [
        ("Guide › Install › On Linux", "Guide\n\nInstall\n\nOn Linux\n\nUse apt."),
        # A last heading with nothing under it and nothing to open is still a passage.
        ("FAQ", "FAQ"),
    ]
    assert chunks[0].char_start == 0


def test_it_splits_a_long_section_at_block_edges_with_overlap() -> None:
    paragraphs = [sentences(6, topic=f"topic {n}") for n in range(8)]
    parsed = doc(
        Block("Long", page=None, heading="Long", is_heading=True),
        *[Block(text, page=None, heading="Long") for text in paragraphs],
    )
    chunks = chunk(parsed, max_tokens=200, overlap_tokens=30)
    assert len(chunks) > 2
    assert_well_formed(parsed, chunks, 200)
    assert chunks[0].text.startswith("Long\n\n")
    for before, after in zip(chunks, chunks[1:], strict=False):
        # The next chunk repeats the end of the one before it...
        assert after.char_start < before.char_end
        repeated = document_text(parsed)[after.char_start : before.char_end]
        assert 0 < count_tokens(repeated) <= 30
        # ...a whole sentence of it.
        assert repeated.startswith("Sentence ") and repeated.endswith(".")


def test_it_makes_no_overlap_when_asked_for_none() -> None:
    parsed = doc(*[Block(sentences(6, f"t{n}"), page=None, heading="") for n in range(6)])
    chunks = chunk(parsed, max_tokens=120, overlap_tokens=0)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.char_start >= before.char_end


def test_it_cuts_a_block_longer_than_a_chunk_at_sentence_ends() -> None:
    text = sentences(60)
    parsed = doc(Block(text, page=None, heading="Big"))
    chunks = chunk(parsed, max_tokens=100, overlap_tokens=20)
    assert len(chunks) > 4
    assert_well_formed(parsed, chunks, 100)
    for c in chunks:
        assert c.text.startswith("Sentence ") and c.text.endswith("long day.")
    assert chunks[0].char_start == 0 and chunks[-1].char_end == len(text)


def test_it_cuts_a_sentence_longer_than_a_chunk_at_spaces() -> None:
    words = " ".join(f"word{n}" for n in range(600))
    parsed = doc(Block(words, page=None, heading=""))
    chunks = chunk(parsed, max_tokens=60, overlap_tokens=10)
    assert_well_formed(parsed, chunks, 60)
    for c in chunks:
        assert c.text.startswith("word") and c.text.split()[-1].startswith("word")
    # Every word is in some chunk, whole.
    seen = {word for c in chunks for word in c.text.split()}
    assert seen == set(words.split())


def test_it_cuts_text_without_spaces_anywhere() -> None:
    run = "abcdefghij" * 400
    parsed = doc(Block(run, page=None, heading=""))
    chunks = chunk(parsed, max_tokens=50, overlap_tokens=0)
    assert_well_formed(parsed, chunks, 50)
    assert "".join(c.text for c in chunks) == run


def test_it_gives_a_chunk_the_page_it_starts_on_and_prefers_page_edges() -> None:
    # About 180 tokens a page: past half of 300 when the next page begins.
    pages = [[sentences(5, f"page {n} part {p}") for p in range(3)] for n in (1, 2, 3)]
    parsed = parse(make_pdf(pages), filename="book.pdf")
    chunks = chunk(parsed, max_tokens=300, overlap_tokens=0)
    assert_well_formed(parsed, chunks, 300)
    assert [c.page for c in chunks] == [1, 2, 3]
    for c in chunks:
        assert c.text.startswith(f"Sentence 0 is about the page {c.page} part 0")


def _starts(parsed: ParsedDocument) -> list[int]:
    starts, offset = [], 0
    for block in parsed.blocks:
        starts.append(offset)
        offset += len(block.text) + 2
    return starts


def test_it_skips_blocks_without_text() -> None:
    parsed = doc(
        Block("", page=None, heading=""),
        Block("   ", page=None, heading=""),
        Block("Words.", page=None, heading=""),
    )
    [only] = chunk(parsed)
    assert only.text == "Words."
    assert document_text(parsed)[only.char_start : only.char_end] == "Words."


def test_it_gives_nothing_for_a_document_without_text() -> None:
    assert chunk(doc()) == []


def test_it_is_deterministic() -> None:
    parsed = parse(make_pdf([[LOREM * 8, LOREM * 3]] * 4), filename="same.pdf")
    first = chunk(parsed, max_tokens=80, overlap_tokens=15)
    again = chunk(parsed, max_tokens=80, overlap_tokens=15)
    assert first == again
    assert len({c.content_hash for c in first}) > 1


def test_it_hashes_the_heading_with_the_text() -> None:
    one = chunk(doc(Block("Same words.", page=None, heading="A")))[0]
    other = chunk(doc(Block("Same words.", page=None, heading="B")))[0]
    assert one.text == other.text
    assert one.content_hash != other.content_hash


def test_it_refuses_a_chunk_size_too_small_to_hold_a_sentence() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        chunk(doc(Block("x", page=None, heading="")), max_tokens=8)


def test_it_chunks_a_parsed_markdown_file_end_to_end() -> None:
    body = "\n\n".join(sentences(4, f"item {n}") for n in range(10))
    markdown = f"# Guide\n\nIntro.\n\n## Install\n\n{body}\n\n## Usage\n\nUse it.\n"
    parsed = parse(markdown.encode(), filename="guide.md")
    chunks = chunk(parsed, max_tokens=120, overlap_tokens=20)
    assert_well_formed(parsed, chunks, 120)
    assert chunks[0].text == "Guide\n\nIntro."
    assert chunks[1].heading == "Guide › Install" and chunks[1].text.startswith("Install\n\n")
    assert chunks[-1].heading == "Guide › Usage" and chunks[-1].text == "Usage\n\nUse it."


# --- properties over any list of blocks ---------------------------------------------------------

_words = st.sampled_from(
    ["alpha", "beta", "gamma.", "delta!", "x", "Über", "naïve", "数据。", "e=mc²", "http://a.b/c?d"]
)
_texts = st.one_of(
    st.lists(_words, max_size=60).map(" ".join),
    st.text(max_size=300),
    st.lists(_words, min_size=1, max_size=5).map(lambda w: "".join(w) * 20),
)
_blocks = st.builds(
    Block,
    text=_texts,
    page=st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    heading=st.sampled_from(["", "A", "A › B", "C"]),
    is_heading=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(
    blocks=st.lists(_blocks, max_size=12),
    max_tokens=st.integers(min_value=16, max_value=120),
    overlap_tokens=st.integers(min_value=0, max_value=80),
)
def test_its_chunks_always_point_back_into_the_document(
    blocks: list[Block], max_tokens: int, overlap_tokens: int
) -> None:
    parsed = doc(*blocks)
    chunks = chunk(parsed, max_tokens=max_tokens, overlap_tokens=overlap_tokens)
    assert_well_formed(parsed, chunks, max_tokens)
    text = document_text(parsed)
    # Nothing is lost: every visible character of every block is in some chunk.
    covered = [False] * len(text)
    for c in chunks:
        for index in range(c.char_start, c.char_end):
            covered[index] = True
    for block, start in zip(parsed.blocks, _starts(parsed), strict=True):
        for offset, char in enumerate(block.text):
            if not char.isspace():
                assert covered[start + offset], (block, offset)
    # And chunking is a function of its input.
    assert chunk(parsed, max_tokens=max_tokens, overlap_tokens=overlap_tokens) == chunks
