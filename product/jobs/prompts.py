"""The "Ask once" prompts: a task the user picks, applied to the text they paste.

The pasted text goes in the last user message (where a provider, and the dev model server's
markers, look for it); the task's instruction goes in the system message and before the text.
"""

from __future__ import annotations

from typing import Any

KIND = "ask.once"
PROMPT_NAME = KIND
PROMPT_VERSION = "1"
MAX_TEXT_CHARS = 50_000
MAX_INSTRUCTION_CHARS = 2_000

SUMMARISE = "summarise"
KEY_POINTS = "key_points"
CUSTOM = "custom"
TASKS: dict[str, str] = {
    SUMMARISE: "Summarise",
    KEY_POINTS: "Extract key points",
    CUSTOM: "Custom instruction",
}
_INSTRUCTIONS = {
    SUMMARISE: "Summarise the following text in one short paragraph. Keep names and numbers exact.",
    KEY_POINTS: "Extract the key points of the following text as a short bulleted list.",
}
SYSTEM = (
    "You are a careful assistant inside Keel. Answer only from the text the user provides; "
    "if it does not contain the answer, say so."
)


def instruction_for(input: dict[str, Any]) -> str:  # noqa: A002
    task = input.get("task", SUMMARISE)
    if task == CUSTOM:
        return str(input.get("instruction") or "").strip()
    return _INSTRUCTIONS[task]


def build_messages(input: dict[str, Any]) -> list[dict[str, str]]:  # noqa: A002
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"{instruction_for(input)}\n\n---\n{input['text']}"},
    ]
