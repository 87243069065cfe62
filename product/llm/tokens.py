"""Token counts: a cheap estimate where an upper bound is enough, the exact count where money is.

Two ways to count, for two kinds of question:

- `estimate_tokens` / `estimate_message_tokens` answer "at most how many?" without the tokenizer:
  budget reservations (a worst case by design; the ledger bills the provider's usage) and the
  input cap, which counts exactly only a prompt the estimate puts over a limit (quotas.py).
- `count_tokens` / `count_message_tokens` are exact (o200k_base via bpe-openai, which ships its
  data: no download). The gateway uses them where money depends on the number: a call whose
  provider reported no usage (a cut stream) is charged from them. Knowledge chunking sizes chunks
  with them too.

The tokenizer costs ~130 MB of RSS per process (its Rust tables are built when the module is
imported) and most of a second to load, so nothing loads it at start: a process that only
estimates never pays for it.

How the estimate works: o200k_base splits text into pieces (a word with the space or punctuation
before it, up to three digits, a run of punctuation, a run of whitespace), and every piece is at
least one token. Short pieces are usually exactly one; long ones and non-ASCII text cost more.
`_PIECE` approximates that split (where it differs it mostly splits more, which only adds to the
estimate), then a piece costs:

- an ASCII piece of up to 5 bytes: 1; a longer one: 1 more per 2 bytes beyond the 5th;
- a run of one whitespace character (indentation, blank lines): 1 per 16 characters; a mixed
  run: 1 per 4;
- a non-ASCII character: one token per UTF-8 byte after its first (2 for CJK, 3 for an emoji),
  on top of its piece;

plus a 10 % margin. Measured against the tokenizer (tests/test_tokens.py) this is an upper bound
for prose in every language Django is translated into, code, markup, JSON, numbers, identifiers,
emoji and whitespace: English prose and code come out about 1.5 times their count, scripts of
multi-byte characters (Cyrillic, CJK, Indic) 2 to 5 times. Text with no structure at all (random
letters or code points, control characters, base64) can be under it, by at most half of it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

# OpenAI's documented framing: ~3 tokens per message and 3 to prime the assistant's reply.
TOKENS_PER_MESSAGE = 3
TOKENS_REPLY_PRIMING = 3

# o200k_base's pre-tokenizer, in `re` (which has no \p{Lu}): case splits for ASCII letters only,
# other letters as runs of their own, `_` as punctuation (it is not a letter to o200k).
_PIECE = re.compile(
    r"(?:[^\r\n\w]|_)?(?:[A-Z]*[a-z]+|[A-Z]+[a-z]*|[^\W\d_a-zA-Z]+)"  # a word, one lead char
    r"|\d{1,3}"
    r"| ?(?:[^\s\w]|_)+[\r\n/]*"  # punctuation
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"  # whitespace
)
# An ASCII piece up to this many bytes counts as one token; beyond it, one per `_ASCII_BYTES_PER`.
_ONE_TOKEN_BYTES = 5
_ASCII_BYTES_PER = 2
_MARGIN = 1.1


@lru_cache(maxsize=1)
def _encoding() -> Any:
    # Imported on first use, never at start: see the module docstring.
    from bpe_openai import get_encoding

    return get_encoding("o200k_base")


def tokenizer_loaded() -> bool:
    """Whether this process has paid for the exact tokenizer yet."""
    return _encoding.cache_info().currsize > 0


def count_tokens(text: str) -> int:
    """Exact o200k_base count; loads the tokenizer on first use."""
    return len(_encoding().encode_ordinary(text))


def _piece_tokens(text: str) -> int:
    """The estimate of one text before the margin (see the module docstring)."""
    pieces = _PIECE.findall(text)
    # Every piece, plus one token per UTF-8 continuation byte (zero for ASCII text).
    total = len(pieces) + len(text.encode("utf-8", "surrogatepass")) - len(text)
    for piece in pieces:
        size = len(piece)
        if size <= _ONE_TOKEN_BYTES or not piece.isascii():
            continue
        if piece.isspace():
            repeated = not piece.strip(piece[0]) or not piece.replace("\r\n", "")
            total += (size - 1) // (16 if repeated else 4)
        else:
            total += math.ceil((size - _ONE_TOKEN_BYTES) / _ASCII_BYTES_PER)
    return total


def estimate_tokens(text: str) -> int:
    """An upper bound on `count_tokens(text)` for real text, without the tokenizer."""
    return math.ceil(_piece_tokens(text) * _MARGIN)


def _message_texts(messages: Iterable[Mapping[str, Any]]) -> tuple[int, list[str]]:
    """The framing tokens of a prompt and the texts whose tokens it adds."""
    framing = TOKENS_REPLY_PRIMING
    texts: list[str] = []
    for message in messages:
        framing += TOKENS_PER_MESSAGE
        texts.append(str(message.get("content") or ""))
        texts.append(str(message.get("role") or ""))
        # An assistant turn that called tools: the calls' names and arguments are its content.
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            texts.append(f"{function.get('name', '')}{function.get('arguments', '')}")
    return framing, texts


def count_message_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    """Exact tokens of a chat prompt, with OpenAI's framing; loads the tokenizer on first use."""
    framing, texts = _message_texts(messages)
    return framing + sum(count_tokens(text) for text in texts)


def estimate_message_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    """An upper bound on `count_message_tokens(messages)` for real text, without the tokenizer."""
    # The margin once over the whole prompt: per text, rounding up would add a token to each.
    framing, texts = _message_texts(messages)
    return framing + math.ceil(sum(_piece_tokens(text) for text in texts) * _MARGIN)
