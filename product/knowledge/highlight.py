"""Query terms marked in passage text, safely: documents are untrusted, so every piece of their
text is escaped before it reaches the page, and the only markup added is our own `<mark>`.

The terms are found in the raw text and each piece (between and inside matches) is escaped on its
own, which is the same as escaping first and marking after, except that a term can never match
inside an entity the escaping made (`amp` in `&amp;`), nor break one apart.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Terms shorter than this mark nearly every word ("a", "I"); the search itself still uses them.
MIN_TERM_CHARS = 2
MAX_TERMS = 20


def query_terms(query: str) -> list[str]:
    """The words of a query, longest first (so the longer of two overlapping terms wins)."""
    words = {word.lower() for word in re.findall(r"\w+", query) if len(word) >= MIN_TERM_CHARS}
    return sorted(words, key=lambda word: (-len(word), word))[:MAX_TERMS]


def highlight(text: str, query: str) -> SafeString:
    """`text` escaped, with every word that starts with a query term in `<mark>`."""
    terms = query_terms(query)
    if not terms:
        return escape(text)
    # A term matches at the start of a word and takes the rest of it: "install" marks
    # "installing", as the keyword leg's stemming would find it.
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(term) for term in terms) + r")\w*", re.IGNORECASE
    )
    pieces: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        position = match.end()
    pieces.append(escape(text[position:]))
    return mark_safe("".join(pieces))  # noqa: S308 (every piece is escaped above)
