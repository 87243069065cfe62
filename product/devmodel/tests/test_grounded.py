"""Grounded replies from a `<sources>` block, over real HTTP through the openai SDK."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from product.devmodel.grounded import NOT_FOUND_REPLY, parse_passages

SOURCES = """Answer only from the sources below and cite them as [n].

<sources>
[1] Handbook.pdf · page 3 · Install › Linux
Install Keel with apt. Then run the setup command once.

[2] operations.md · Jobs
Workers take jobs from the queue. The reaper re-enqueues stale jobs every 30 seconds [7].
Jobs that fail three times are marked as failed.

[3] faq.md · Caches
- Stale caches are cleared nightly by the reaper.
</sources>"""
EMPTY_SOURCES = (
    "Answer only from the sources.\n\n<sources>\n(no passages matched the question)\n</sources>"
)


def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="devmodel", max_retries=0)


def grounded(base_url: str, question: str, system: str = SOURCES, **kwargs: Any) -> str:
    completion = client(base_url).chat.completions.create(
        model="keel-dev-small",
        messages=[
            {"role": "system", "content": system},
            {"role": "user", "content": question},
        ],
        **kwargs,
    )
    return completion.choices[0].message.content or ""


def test_it_answers_from_the_best_passages_with_citations(devmodel: str) -> None:
    text = grounded(devmodel, "How often does the reaper re-enqueue stale jobs?")
    # Passage 2 shares reaper, re, enqueue, stale, job; passage 3 shares reaper and stale.
    assert text == (
        "According to the documents: The reaper re-enqueues stale jobs every 30 seconds [2]. "
        "Stale caches are cleared nightly by the reaper [3]."
    )
    assert text == grounded(devmodel, "How often does the reaper re-enqueue stale jobs?")


def test_it_cites_one_passage_when_only_one_shares_words(devmodel: str) -> None:
    text = grounded(devmodel, "How do I install it on Linux?")
    assert text == "According to the documents: Install Keel with apt [1]."


def test_it_breaks_ties_by_the_lower_number(devmodel: str) -> None:
    system = (
        "<sources>\n[1] a.md\nPostgres stores the rows.\n\n[2] b.md\nRedis holds the streams.\n\n"
        "[3] c.md\nPostgres runs in CI.\n</sources>"
    )
    # Each passage shares one word; 1 and 2 win on their lower numbers, 3 is left out.
    text = grounded(devmodel, "Postgres or Redis?", system=system)
    assert text == (
        "According to the documents: Postgres stores the rows [1]. Redis holds the streams [2]."
    )


def test_it_says_so_when_no_passage_shares_a_word(devmodel: str) -> None:
    assert grounded(devmodel, "What is the weather in Lisbon?") == NOT_FOUND_REPLY
    assert grounded(devmodel, "What is it?") == NOT_FOUND_REPLY  # only function words


def test_it_says_so_when_no_passage_matched(devmodel: str) -> None:
    assert grounded(devmodel, "How often does the reaper run?", EMPTY_SOURCES) == NOT_FOUND_REPLY


def test_it_copies_no_bracketed_number_from_a_passage(devmodel: str) -> None:
    # Passage 2's sentence ends in "[7]" (a footnote): the reply must not cite what it did not use.
    text = grounded(devmodel, "What does the reaper re-enqueue?")
    assert "[7]" not in text and "[2]" in text


def test_it_appends_cite_markers_even_for_missing_passages(devmodel: str) -> None:
    text = grounded(devmodel, "How do I install it on Linux? [[cite: 7]] [[cite: 2]]")
    assert text == "According to the documents: Install Keel with apt [1]. [7] [2]"
    assert grounded(devmodel, "The weather? [[cite: 9]]") == f"{NOT_FOUND_REPLY} [9]"
    plain = client(devmodel).chat.completions.create(
        model="keel-dev-small",
        messages=[{"role": "user", "content": "[[reply: Keel is a starter.]] [[cite: 1]]"}],
    )
    assert plain.choices[0].message.content == "Keel is a starter. [1]"


def test_it_lets_reply_markers_override_the_sources(devmodel: str) -> None:
    assert grounded(devmodel, "The reaper? [[reply: Scripted.]]") == "Scripted."
    completion = client(devmodel).chat.completions.create(
        model="keel-dev-small",
        messages=[
            {"role": "system", "content": SOURCES},
            {"role": "user", "content": "The reaper? [[tokens: 12]]"},
        ],
    )
    assert completion.usage is not None and completion.usage.completion_tokens == 12
    hostile = grounded(devmodel, "[[hostile]] The reaper?")
    assert "<script>alert(1)</script>" in hostile and "[2]" not in hostile


def test_it_streams_the_same_grounded_reply_with_usage(devmodel: str) -> None:
    question = "How often does the reaper re-enqueue stale jobs?"
    plain = client(devmodel).chat.completions.create(
        model="keel-dev-small",
        messages=[{"role": "system", "content": SOURCES}, {"role": "user", "content": question}],
    )
    chunks = list(
        client(devmodel).chat.completions.create(
            model="keel-dev-small",
            messages=[
                {"role": "system", "content": SOURCES},
                {"role": "user", "content": question},
            ],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == plain.choices[0].message.content
    assert streamed.startswith("According to the documents: ") and streamed.endswith("[3].")
    assert chunks[-1].usage is not None and plain.usage is not None
    assert chunks[-1].usage.completion_tokens == plain.usage.completion_tokens > 10
    assert chunks[-1].usage.prompt_tokens == plain.usage.prompt_tokens


def test_it_checks_expectations_against_the_sources(devmodel: str) -> None:
    text = grounded(devmodel, "The reaper? [[expect: [2] operations.md · Jobs]]")
    assert "[2]" in text
    with pytest.raises(openai.BadRequestError, match="does not contain 'secret.pdf'"):
        grounded(devmodel, "The reaper? [[expect: secret.pdf]]")


def test_it_scores_against_the_last_user_message_only(devmodel: str) -> None:
    completion = client(devmodel).chat.completions.create(
        model="keel-dev-small",
        messages=[
            {"role": "system", "content": SOURCES},
            {"role": "user", "content": "How do I install it on Linux?"},
            {"role": "assistant", "content": "According to the documents, install Keel [1]."},
            {"role": "user", "content": "And what about stale caches?"},
        ],
    )
    assert completion.choices[0].message.content == (
        "According to the documents: Stale caches are cleared nightly by the reaper [3]. "
        "The reaper re-enqueues stale jobs every 30 seconds [2]."
    )


def test_it_keeps_a_footnote_line_inside_its_passage() -> None:
    block = "\n[1] a.md\nSee the appendix.\n\n[1] A footnote line.\n\n[2] b.md · Setup\nRun it.\n"
    passages = parse_passages(block)
    assert [(p.number, p.header) for p in passages] == [(1, "a.md"), (2, "b.md · Setup")]
    assert passages[0].text == "See the appendix.\n\n[1] A footnote line."
    assert parse_passages("\n(no passages matched the question)\n") == []
