"""One chat turn with the dev model server through the real SDK, plain or streamed."""

from __future__ import annotations

import openai
from openai.types.chat import ChatCompletionMessageParam


def reply(base_url: str, content: str, *, system: str = "", stream: bool = False) -> str:
    """The reply's text to `content` as the last user message (after `system`, when given)."""
    client = openai.OpenAI(base_url=base_url, api_key="devmodel", max_retries=0)
    messages: list[ChatCompletionMessageParam] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": content})
    if not stream:
        completion = client.chat.completions.create(
            model="keel-dev-small", messages=messages, temperature=0, seed=0
        )
        return completion.choices[0].message.content or ""
    chunks = client.chat.completions.create(
        model="keel-dev-small", messages=messages, temperature=0, seed=0, stream=True
    )
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
