"""The prompt of "Ask once": a task the user picks, applied to the text they paste.

Prompts live in their own module with a name and a version, so that the ledger records which prompt
produced which answer (`LLMCall.prompt_name`, `prompt_version`): bump the version when you change
the words. The pasted text goes in the last user message (where a provider, and the dev model
server's markers, look for it); the task's instruction goes in the system message and before it.
"""

from __future__ import annotations

from typing import Literal

from django.db import models

KIND = "ask.once"  # the job kind, and the `feature` on the ledger
PROMPT_NAME = KIND
# The version the feature sends. Every version it can send is in VERSIONS, with what it says in
# words: an evaluation run (product/ask/evals.py) may send any of them, and the ledger records which.
PROMPT_VERSION = "1"
VERSIONS: dict[str, str] = {
    "1": "Summarise in one short paragraph; key points as a short bulleted list (current).",
    "2": "Brief candidate: every task answered in one sentence.",
}
# Limits are enforced with a message (forms, API schemas), never by cutting the text.
MAX_TEXT_CHARS = 50_000
MAX_INSTRUCTION_CHARS = 2_000


class Task(models.TextChoices):
    SUMMARISE = "summarise", "Summarise"
    KEY_POINTS = "key_points", "Extract key points"
    # Typed answers: the fields of schemas.py, through the gateway's structured outputs.
    EXTRACT_CONTACT = "extract_contact", "Extract contact details"
    EXTRACT_INVOICE = "extract_invoice", "Extract invoice fields"
    CUSTOM = "custom", "Custom instruction"


# The task names as a type, for the API's and the eval target's input schemas.
TaskName = Literal["summarise", "key_points", "custom", "extract_contact", "extract_invoice"]

SYSTEM = (
    "You are a careful assistant inside Keel. Answer only from the text the user provides; "
    "if it does not contain the answer, say so."
)
_EXTRACT_CONTACT = (
    "Extract the contact details of the person in the following text. Copy values exactly; "
    "use null for anything the text does not give."
)
_EXTRACT_INVOICE = (
    "Extract the invoice fields of the following text. Copy values exactly; amounts as numbers."
)
_INSTRUCTIONS: dict[str, dict[Task, str]] = {
    "1": {
        Task.SUMMARISE: (
            "Summarise the following text in one short paragraph. Keep names and numbers exact."
        ),
        Task.KEY_POINTS: "Extract the key points of the following text as a short bulleted list.",
        Task.EXTRACT_CONTACT: _EXTRACT_CONTACT,
        Task.EXTRACT_INVOICE: _EXTRACT_INVOICE,
    },
    "2": {
        Task.SUMMARISE: "Summarise the following text in one sentence. Keep names and numbers exact.",
        Task.KEY_POINTS: "State the key point of the following text in one sentence.",
        Task.EXTRACT_CONTACT: _EXTRACT_CONTACT,
        Task.EXTRACT_INVOICE: _EXTRACT_INVOICE,
    },
}
# A custom instruction is the user's own words; a version may add to it, never replace it.
_CUSTOM_SUFFIX = {"1": "", "2": " Answer in one sentence."}


def clean_instruction(*, task: str, instruction: str = "") -> str:
    """What is stored and sent as the instruction: only a custom task has one."""
    return instruction.strip() if task == Task.CUSTOM else ""


def instruction_for(*, task: str, instruction: str = "", version: str = PROMPT_VERSION) -> str:
    if version not in VERSIONS:
        raise LookupError(f"Ask once has no prompt version {version!r}.")
    if task == Task.CUSTOM:
        return instruction.strip() + _CUSTOM_SUFFIX[version]
    return _INSTRUCTIONS[version][Task(task)]


def build_messages(
    *, task: str, text: str, instruction: str = "", version: str = PROMPT_VERSION
) -> list[dict[str, str]]:
    instruction = instruction_for(task=task, instruction=instruction, version=version)
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"{instruction}\n\n---\n{text}"},
    ]
