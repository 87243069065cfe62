"""Task-layout replies: Ask once's "instruction, then the text" answered extractively.

A last user message laid out as `<instruction>\\n\\n---\\n<text>` (product/ask/prompts.py) gets the
text's first N sentences, copied: N comes from the instruction ("in one sentence" → 1, "two
sentences" → 2, "3 sentences" → 3; 3 when it names no count), and an instruction asking for key
points or a bulleted list gets each sentence as a "- " bullet. So a prompt that asks for less says
less, the same way every time: evaluation suites can prove a terser prompt drops a required fact.
"""

from __future__ import annotations

import re

from product.devmodel.grounded import LIST_MARK_RE, sentences

SEPARATOR = "\n\n---\n"
DEFAULT_SENTENCES = 3
NUMBER_WORDS = {
    "a single": 1,
    "single": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_COUNT = "|".join([*sorted(NUMBER_WORDS, key=len, reverse=True), r"\d+"])
COUNT_RE = re.compile(
    rf"\b({_COUNT})\s+(?:short\s+|brief\s+|key\s+|main\s+)*"
    r"(?:sentences?|points?|bullets?|bullet\s+points?|items?)\b",
    re.IGNORECASE,
)
BULLETS_RE = re.compile(r"\bkey\s+points?\b|\bbullet(?:ed|s)?\b|\bbullet\s+points?\b", re.I)


def split_task(text: str) -> tuple[str, str] | None:
    """(instruction, text) of a message in the task layout, or None when it is not one."""
    instruction, separator, body = text.partition(SEPARATOR)
    if not separator or not instruction.strip() or not body.strip():
        return None
    return instruction.strip(), body.strip()


def sentence_count(instruction: str) -> int:
    match = COUNT_RE.search(instruction)
    if match is None:
        return DEFAULT_SENTENCES
    word = match.group(1).lower()
    count = int(word) if word.isdigit() else NUMBER_WORDS[" ".join(word.split())]
    return max(count, 1)


def task_reply(instruction: str, text: str) -> str:
    """The first N sentences of `text`, as prose or as "- " bullets (see the module docstring)."""
    picked = [LIST_MARK_RE.sub("", s.strip()) for s in sentences(text)][
        : sentence_count(instruction)
    ]
    if BULLETS_RE.search(instruction):
        return "\n".join(f"- {sentence}" for sentence in picked)
    return " ".join(picked)
