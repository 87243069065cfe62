"""The prompt of "Ask once": a task the user picks, applied to the text they paste.

Prompts live in their own module with a name and a version, so that the ledger records which prompt
produced which answer (`LLMCall.prompt_name`, `prompt_version`): bump the version when you change
the words. The pasted text goes in the last user message (where a provider, and the dev model
server's markers, look for it); the task's instruction goes in the system message and before it.
"""

from __future__ import annotations

from django.db import models

KIND = "ask.once"  # the job kind, and the `feature` on the ledger
PROMPT_NAME = KIND
PROMPT_VERSION = "1"
# Limits are enforced with a message (forms, API schemas), never by cutting the text.
MAX_TEXT_CHARS = 50_000
MAX_INSTRUCTION_CHARS = 2_000


class Task(models.TextChoices):
    SUMMARISE = "summarise", "Summarise"
    KEY_POINTS = "key_points", "Extract key points"
    CUSTOM = "custom", "Custom instruction"


SYSTEM = (
    "You are a careful assistant inside Keel. Answer only from the text the user provides; "
    "if it does not contain the answer, say so."
)
_INSTRUCTIONS = {
    Task.SUMMARISE: "Summarise the following text in one short paragraph. Keep names and numbers exact.",
    Task.KEY_POINTS: "Extract the key points of the following text as a short bulleted list.",
}


def instruction_for(*, task: str, instruction: str = "") -> str:
    if task == Task.CUSTOM:
        return instruction.strip()
    return _INSTRUCTIONS[Task(task)]


def build_messages(*, task: str, text: str, instruction: str = "") -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"{instruction_for(task=task, instruction=instruction)}\n\n---\n{text}",
        },
    ]
