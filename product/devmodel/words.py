"""Content words: how the dev model server reads text, for its embeddings and grounded replies.

Lowercased `\\w+` tokens, minus a small list of English function words, with simple suffixes
folded ("jobs", "queued", "running" become "job", "queu", "run"). The point is only that two texts
sharing content words look alike to the dev model, cheaply and always the same way; it is no
linguistic stemmer and need not be one.
"""

from __future__ import annotations

import re

WORD_RE = re.compile(r"\w+")
# Function words: they carry no topic, and questions are full of them ("what is the ...").
_FUNCTION_WORDS = """
    a about after all also am an and any are as at be been before being both but by can could
    did do does doing for from had has have having he her here hers him his how i if in into is
    it its itself just me more most my no nor not of off on once only or other our ours out
    over own s same she should so some such t than that the their theirs them then there these
    they this those through to too under until up us very was we were what when where which
    while who whom why will with would you your yours
"""
STOPWORDS = frozenset(_FUNCTION_WORDS.split())
VOWELS = frozenset("aeiouy")


def stem(word: str) -> str:
    """Fold plural `s`/`es`/`ies`, `ing`, `ed` and a final `e`: "queues", "queuing" → "queu"."""
    if len(word) <= 2 or not word.isalpha():
        # Short words and tokens with digits ("v2", "30s", "x86_64") are names, not inflections.
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and len(word) >= 4 and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if not word.endswith(suffix) or (suffix == "ed" and word.endswith("eed")):
            continue
        base = word[: -len(suffix)]
        if len(base) < 2 or not VOWELS & set(base):
            break  # "string", "shed": the suffix is part of the word
        if suffix == "ed" and len(base) >= 4 and base.endswith("i"):
            base = base[:-1] + "y"  # carried → carry
        if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "lsz":
            base = base[:-1]  # running → run, embedded → embed; but call, miss, buzz stay
        word = base
        break
    if len(word) >= 3 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]  # store, stores, stored, storing → stor
    return word


def content_words(text: str) -> list[str]:
    """The text's words that carry its topic, folded, in order (repeats kept)."""
    return [stem(word) for word in WORD_RE.findall(text.lower()) if word not in STOPWORDS]


def all_words(text: str) -> list[str]:
    """Every word, folded: for a text made only of function words ("the", "to be or not")."""
    return [stem(word) for word in WORD_RE.findall(text.lower())]
