"""Grounded replies: answering from a `<sources>` block the way a careful model would, but exactly.

The knowledge feature puts numbered passages into the system message (the format is in
docs/devmodel.md). The dev model picks the passages that share the most content words with the last
user message, copies each one's best sentence and cites it as `[n]`; with nothing relevant it says
so in one fixed sentence. Deterministic, so tests can assert on the very text and citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from product.devmodel.words import content_words

# The dev model's own wording for "the sources do not say": tests may match it, the product must
# not (a real model words it its own way).
NOT_FOUND_REPLY = "I could not find anything about that in the selected documents."
MAX_CITED_PASSAGES = 2
# A chunk without sentence punctuation (a table, a long list) is one "sentence"; cut what is copied.
MAX_SENTENCE_WORDS = 60

SOURCES_RE = re.compile(r"<sources>(.*?)</sources>", re.DOTALL)
HEADER_RE = re.compile(r"\[(\d+)\](?:[ \t]+(.*))?")
SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")
LIST_MARK_RE = re.compile(r"^(?:[-*•]|#+|\d+[.)])\s+")
CITATION_LIKE_RE = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class SourcePassage:
    number: int
    header: str  # "Handbook.pdf · page 3 · Install › Linux"
    text: str


def find_sources(texts: list[str]) -> str | None:
    """The body of the last `<sources>` block in the messages, or None when there is none."""
    found: str | None = None
    for text in texts:
        for match in SOURCES_RE.finditer(text):
            found = match.group(1)
    return found


def without_sources(text: str) -> str:
    return SOURCES_RE.sub(" ", text)


def parse_passages(block: str) -> list[SourcePassage]:
    """Split a sources block into its numbered passages.

    A passage starts with a `[n] header` line at the top of the block or after a blank line, and
    its number follows the previous one: so a passage whose text has a footnote line such as
    "[1] See the appendix" stays one passage. The "(no passages matched ...)" line yields none.
    """
    passages: list[SourcePassage] = []
    number: int | None = None
    header = ""
    body: list[str] = []
    previous_blank = True
    for line in block.strip("\n").splitlines():
        match = HEADER_RE.fullmatch(line.strip())
        starts_passage = (
            match is not None
            and previous_blank
            and (number is None or int(match.group(1)) == number + 1)
        )
        if match is not None and starts_passage:
            if number is not None:
                passages.append(SourcePassage(number, header, "\n".join(body).strip()))
            number, header, body = int(match.group(1)), (match.group(2) or "").strip(), []
        elif number is not None:
            body.append(line)
        previous_blank = not line.strip()
    if number is not None:
        passages.append(SourcePassage(number, header, "\n".join(body).strip()))
    return passages


def _overlap(question: set[str], text: str) -> int:
    return len(question & set(content_words(text)))


def sentences(text: str) -> list[str]:
    """The sentences of a text: each line split after `.`, `!` or `?`, empty parts dropped."""
    found: list[str] = []
    for line in text.splitlines():
        found.extend(part for part in SENTENCE_END_RE.split(line.strip()) if part.strip())
    return found


def _copy(sentence: str) -> str:
    """A passage's sentence as the reply copies it, to be followed by " [n]."."""
    # Numbers in brackets would read as citations of other passages: the copy keeps none.
    text = CITATION_LIKE_RE.sub("", LIST_MARK_RE.sub("", sentence.strip()))
    words = text.split()
    if len(words) > MAX_SENTENCE_WORDS:
        words = [*words[:MAX_SENTENCE_WORDS], "…"]
    return " ".join(words).rstrip(".!?;:, ")


def best_sentence(question: set[str], passage: SourcePassage) -> str:
    """The passage's sentence sharing the most words with the question (the first on ties)."""
    candidates = sentences(passage.text)
    best = max(candidates, key=lambda sentence: _overlap(question, sentence))  # max keeps the first
    return _copy(best)


def rank_passages(question: str, passages: list[SourcePassage]) -> list[SourcePassage]:
    """The passages sharing words with the question, most shared first, lower number on ties."""
    words = set(content_words(question))
    scored = [(_overlap(words, p.text), p) for p in passages]
    relevant = [(score, p) for score, p in scored if score > 0]
    relevant.sort(key=lambda item: (-item[0], item[1].number))
    return [p for _, p in relevant]


def grounded_reply(question: str, block: str) -> str:
    """The dev model's answer to `question` from a sources block: copied sentences with [n]."""
    return grounded_reply_from(question, parse_passages(block))


def grounded_reply_from(question: str, passages: list[SourcePassage]) -> str:
    """The grounded answer from passages already parsed (several blocks, as tool results bring)."""
    words = set(content_words(question))
    cited: list[str] = []
    for passage in rank_passages(question, passages):
        sentence = best_sentence(words, passage)
        if sentence:  # a sentence that was only "[12]" leaves nothing to say
            cited.append(f"{sentence} [{passage.number}].")
        if len(cited) == MAX_CITED_PASSAGES:
            break
    if not cited:
        return NOT_FOUND_REPLY
    # A colon, so each copied sentence keeps its own capitals: "Keel ...", "Install ...".
    return "According to the documents: " + " ".join(cited)
