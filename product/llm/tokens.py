"""Local token counting (o200k_base via bpe-openai, which ships its data: no download).

Used only to estimate (budget reservations, cut streams) and to cap input before a call; bills come
from the provider's reported usage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

# OpenAI's documented framing: ~3 tokens per message and 3 to prime the assistant's reply.
TOKENS_PER_MESSAGE = 3
TOKENS_REPLY_PRIMING = 3


@lru_cache(maxsize=1)
def _encoding() -> Any:
    # Imported on first use: the tokenizer maps ~70 MB and takes most of a second to load.
    from bpe_openai import get_encoding

    return get_encoding("o200k_base")


def count_tokens(text: str) -> int:
    return len(_encoding().encode_ordinary(text))


def count_message_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    total = TOKENS_REPLY_PRIMING
    for message in messages:
        total += TOKENS_PER_MESSAGE
        total += count_tokens(str(message.get("content") or ""))
        total += count_tokens(str(message.get("role") or ""))
        # An assistant turn that called tools: the calls' names and arguments are its content.
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            total += count_tokens(f"{function.get('name', '')}{function.get('arguments', '')}")
    return total
