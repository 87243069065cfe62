"""Chat's prompts, each with a name and a version the ledger records (`LLMCall.prompt_name`).

Bump a version when you change its words, so the ledger (and an evaluation run) can tell answers
from the old prompt and the new one apart.
"""

from __future__ import annotations

import re

REPLY_PROMPT_NAME = "chat.reply"
REPLY_PROMPT_VERSION = "1"
TITLE_PROMPT_NAME = "chat.title"
TITLE_PROMPT_VERSION = "1"
TITLE_MAX_TOKENS = 24

SYSTEM_PROMPT = (
    "You are Keel's assistant: helpful, precise and brief. Answer in Markdown when it helps."
)
TITLE_PROMPT = (
    "Write a short title (at most six words) for a conversation that starts with the user's "
    "message below. Reply with the title only, no quotes."
)
# Dev-model markers ([[reply: ...]]) script the model; they are not what the user talks about.
MARKER = re.compile(r"\[\[[^\]]*\]\]")


def title_messages(first_message: str) -> list[dict[str, str]]:
    plain = " ".join(MARKER.sub(" ", first_message).split())[:2000] or "Hello"
    return [{"role": "system", "content": TITLE_PROMPT}, {"role": "user", "content": plain}]
