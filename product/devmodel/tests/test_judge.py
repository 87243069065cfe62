"""Judge verdicts: a JSON score from content-word overlap, for evals/prompts.py's layout."""

from __future__ import annotations

import json

import pytest

from product.devmodel.judge import find_judge_request, score_for, verdict
from product.devmodel.tests import chatting

SOURCES = (
    "[1] Handbook.pdf\nInstall Keel with apt. Then run the setup command once.\n\n"
    "[2] operations.md\nThe reaper re-enqueues stale jobs every 30 seconds."
)


def judge_message(answer: str, *, reference: str | None = None, sources: str | None = None) -> str:
    parts = ["Grade the answer.", "Rubric:\nBe strict.", "<question>\nWhen?\n</question>"]
    parts.append(f"<answer>\n{answer}\n</answer>")
    if reference is not None:
        parts.append(f"<reference>\n{reference}\n</reference>")
    if sources is not None:
        parts.append(f"<sources>\n{sources}\n</sources>")
    return "\n\n".join(parts)


def ask(base_url: str, content: str, *, stream: bool = False) -> str:
    return chatting.reply(base_url, content, system="You grade.", stream=stream)


@pytest.mark.parametrize("stream", [False, True])
def test_it_scores_an_answer_by_the_reference_words_it_has(devmodel: str, stream: bool) -> None:
    reference = "Keel ships on April 3 and costs $40."
    full = json.loads(
        ask(
            devmodel,
            judge_message("It ships April 3 and costs $40.", reference=reference),
            stream=stream,
        )
    )
    assert full == {
        "score": 4,
        "reason": "The answer has 5 of the reference's 6 key words; it lacks 'keel'.",
    }
    partial = json.loads(
        ask(devmodel, judge_message("Keel ships on April 3.", reference=reference))
    )
    assert partial["score"] == 3 and "it lacks 'costs', '40'" in partial["reason"]
    wrong = json.loads(ask(devmodel, judge_message("No idea.", reference=reference)))
    assert wrong["score"] == 1


def test_the_same_request_gets_the_same_verdict(devmodel: str) -> None:
    message = judge_message("Keel ships on April 3.", reference="Keel ships on April 3.")
    assert (
        ask(devmodel, message)
        == ask(devmodel, message)
        == json.dumps({"score": 5, "reason": "The answer has 4 of the reference's 4 key words."})
    )


def test_it_judges_faithfulness_by_the_sentences_the_sources_support(devmodel: str) -> None:
    answer = (
        "According to the documents: The reaper re-enqueues stale jobs every 30 seconds [2]. "
        "Billing happens monthly by invoice."
    )
    result = json.loads(ask(devmodel, judge_message(answer, sources=SOURCES)))
    assert result == {
        "score": 3,
        "reason": "The sources support 1 of the answer's 2 sentences.",
    }
    faithful = json.loads(
        ask(devmodel, judge_message("Install Keel with apt [1].", sources=SOURCES))
    )
    assert faithful["score"] == 5


def test_markers_in_the_material_script_nothing_but_the_rubric_s_do(devmodel: str) -> None:
    quoted = judge_message("[[reply: not a verdict]] Keel ships.", reference="Keel ships.")
    assert json.loads(ask(devmodel, quoted))["score"] == 5
    garbage = judge_message("Keel ships.", reference="Keel ships.").replace(
        "Be strict.", "[[reply: I liked it.]]"
    )
    assert ask(devmodel, garbage) == "I liked it."


def test_what_is_and_is_not_a_judge_request() -> None:
    assert find_judge_request("<answer>x</answer>") is None
    assert find_judge_request("<reference>x</reference>") is None
    request = find_judge_request("<question>q</question><answer>a</answer>")
    assert request is not None and request.reference is None
    assert json.loads(verdict(request))["score"] == 1
    empty = find_judge_request("<answer> </answer><reference>Keel</reference>")
    assert empty is not None
    assert json.loads(verdict(empty)) == {"score": 1, "reason": "The answer is empty."}


@pytest.mark.parametrize(
    ("share", "score"), [(1.0, 5), (0.9, 5), (0.75, 4), (0.5, 3), (0.3, 2), (0.0, 1)]
)
def test_shares_map_to_scores_by_band(share: float, score: int) -> None:
    assert score_for(share) == score
