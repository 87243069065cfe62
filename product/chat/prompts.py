"""Chat's prompts, each with a name and a version the ledger records (`LLMCall.prompt_name`).

Bump a version when you change its words, so the ledger (and an evaluation run) can tell answers
from the old prompt and the new one apart.
"""

from __future__ import annotations

import re

from product.knowledge import grounding
from product.knowledge.prompts import MAX_QUERY_CHARS
from product.knowledge.retrieval import Passage

REPLY_PROMPT_NAME = "chat.reply"
REPLY_PROMPT_VERSION = "1"
# Every version of the reply prompt chat can send, in words (an evaluation run may pick one).
REPLY_VERSIONS: dict[str, str] = {
    "1": "Keel's assistant: helpful, precise and brief, Markdown when it helps (current).",
}
# A reply grounded in a collection: the system prompt above plus grounding's instructions and
# sources, so its version follows both.
GROUNDED_REPLY_PROMPT_NAME = "chat.reply.grounded"
GROUNDED_REPLY_PROMPT_VERSION = f"{REPLY_PROMPT_VERSION}.{grounding.PROMPT_VERSION}"
# Ledger feature of a grounded reply's retrieval (its query embedding).
RETRIEVAL_FEATURE = "chat.reply"
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
# The dev model server's own shape, so a scripted reply holding brackets ("[1]") is one marker.
MARKER = re.compile(r"\[\[\s*[a-z_]+\s*(?::.*?)?\]\]", re.DOTALL)


_SYSTEM_PROMPTS = {"1": SYSTEM_PROMPT}


def reply_messages(
    turns: list[dict[str, str]], *, version: str = REPLY_PROMPT_VERSION
) -> list[dict[str, str]]:
    """The prompt of a reply: the system prompt of `version`, then the conversation's turns
    ({"role": "user" | "assistant", "content": ...}) in order."""
    if version not in REPLY_VERSIONS:
        raise LookupError(f"Chat has no reply prompt version {version!r}.")
    return [{"role": "system", "content": _SYSTEM_PROMPTS[version]}, *turns]


def title_messages(first_message: str) -> list[dict[str, str]]:
    plain = " ".join(MARKER.sub(" ", first_message).split())[:2000] or "Hello"
    return [{"role": "system", "content": TITLE_PROMPT}, {"role": "user", "content": plain}]


def search_query(question: str) -> str:
    """What a grounded reply searches its collection for: the question, without dev-model
    markers (they script the model, they are not what is asked), within retrieval's limit."""
    return " ".join(MARKER.sub(" ", question).split())[:MAX_QUERY_CHARS]


def grounded_system_prompt(collection_name: str, passages: list[Passage]) -> str:
    return SYSTEM_PROMPT + "\n\n" + grounding.system_prompt_with_sources(collection_name, passages)
