"""Title replies: a request whose system message asks for a short title gets one that reads like a
title a model would write (the first words of the message, in title case), not the echo reply.

The request is recognised by its wording ("a short title"), the way judge.py and tasks.py read
their layouts: the dev model imports nothing of the product, so it cannot import the prompt.
"""

from __future__ import annotations

import re

TITLE_REQUEST_RE = re.compile(r"\bshort title\b", re.IGNORECASE)
MAX_WORDS = 6
# Lower case inside a title, as style guides write them.
SMALL_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"}
)
_EDGE_PUNCTUATION = "\"'`*_()[]{}<>.,;:!?“”‘’"


def is_title_request(system: str) -> bool:
    return TITLE_REQUEST_RE.search(system) is not None


def _title_case(word: str, first: bool) -> str:
    if not first and word.lower() in SMALL_WORDS:
        return word.lower()
    # A word that already has capitals or digits inside (API, iOS, v2) is written as it is.
    if word[1:] != word[1:].lower() or not word.isalpha():
        return word
    return word[:1].upper() + word[1:]


def title_reply(message: str) -> str:
    """`Plan the spring launch for our team` -> `Plan the Spring Launch for Our`."""
    words = [w.strip(_EDGE_PUNCTUATION) for w in message.split()]
    words = [w for w in words if w][:MAX_WORDS]
    if not words:
        return "New Conversation"
    return " ".join(_title_case(word, i == 0) for i, word in enumerate(words))
