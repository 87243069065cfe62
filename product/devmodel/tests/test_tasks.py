"""Task-layout replies: Ask once's "instruction, ---, text" answered with the text's first sentences."""

from __future__ import annotations

import pytest

from product.ask.prompts import build_messages
from product.devmodel.tasks import sentence_count, split_task, task_reply
from product.devmodel.tests import chatting

MEMO = (
    "Keel ships on April 3. The launch costs $40 per seat. Bob leads the rollout. "
    "Support starts in May."
)


def layout(instruction: str, text: str = MEMO) -> str:
    return f"{instruction}\n\n---\n{text}"


def reply(base_url: str, content: str, *, stream: bool = False) -> str:
    return chatting.reply(base_url, content, system="Answer only from the text.", stream=stream)


@pytest.mark.parametrize(
    ("instruction", "count"),
    [
        ("Summarise the following text in one short paragraph.", 3),
        ("Summarise the following text in one sentence.", 1),
        ("Summarise it in a single sentence.", 1),
        ("Use two sentences.", 2),
        ("Write 4 short sentences.", 4),
        ("Give the three key points.", 3),
    ],
)
def test_it_reads_how_many_sentences_the_instruction_asks_for(instruction: str, count: int) -> None:
    assert sentence_count(instruction) == count


@pytest.mark.parametrize("stream", [False, True])
def test_it_answers_the_task_layout_with_the_first_sentences(devmodel: str, stream: bool) -> None:
    brief = reply(devmodel, layout("Summarise the following text in one sentence."), stream=stream)
    assert brief == "Keel ships on April 3."
    default = reply(devmodel, layout("Summarise the following text in one short paragraph."))
    assert default == "Keel ships on April 3. The launch costs $40 per seat. Bob leads the rollout."


def test_it_answers_key_points_as_bullets(devmodel: str) -> None:
    text = reply(
        devmodel, layout("Extract the key points of the following text as a short bulleted list.")
    )
    assert text == (
        "- Keel ships on April 3.\n- The launch costs $40 per seat.\n- Bob leads the rollout."
    )
    assert task_reply("List two bullet points.", "- one.\n- two.\n- three.") == "- one.\n- two."


def test_markers_still_win_and_are_not_copied(devmodel: str) -> None:
    assert reply(devmodel, layout("Summarise.", "[[reply: Scripted.]] Some text.")) == "Scripted."
    assert reply(devmodel, layout("Summarise.", "Plain text. [[cite: 2]]")) == "Plain text. [2]"


def test_a_message_without_the_layout_is_not_a_task() -> None:
    assert split_task("What is Keel?") is None
    assert split_task("\n\n---\nno instruction") is None
    assert split_task("An instruction\n\n---\n   ") is None
    assert split_task(layout("Do it.", "Text.")) == ("Do it.", "Text.")


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        (
            "summarise",
            "Keel ships on April 3. The launch costs $40 per seat. Bob leads the rollout.",
        ),
        (
            "key_points",
            "- Keel ships on April 3.\n- The launch costs $40 per seat.\n- Bob leads the rollout.",
        ),
    ],
)
def test_it_answers_ask_once_s_own_messages(devmodel: str, task: str, expected: str) -> None:
    # The layout is Ask once's: its own builder, not a copy of it.
    system, user = build_messages(task=task, text=MEMO)
    assert chatting.reply(devmodel, user["content"], system=system["content"]) == expected
