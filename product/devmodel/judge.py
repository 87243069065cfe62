"""Judge verdicts: the dev model grading an answer the way evals/prompts.py asks, but exactly.

A last user message with an `<answer>…</answer>` block and a `<reference>…</reference>` (or
`<sources>…</sources>`) block is a judge request. The reply is one JSON object,
`{"score": 1-5, "reason": "..."}`, derived from content words (words.py):

- with a reference: the share of the reference's distinct content words the answer has (recall:
  an answer that drops a fact loses its words);
- with sources (faithfulness): the share of the answer's sentences supported by a passage, a
  sentence being supported when one passage has at least SUPPORTED of its content words;
- with only a `<question>`: the share of the question's content words the answer takes up.

The share maps to a score by BANDS. The blocks are material, not instructions: markers inside them
script nothing (an answer may well contain `[[reply: ...]]` copied from its input); markers in the
rest of the message (the rubric, say) still do, so a test can make the judge answer garbage.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from product.devmodel.grounded import CITATION_LIKE_RE, parse_passages, sentences
from product.devmodel.words import WORD_RE, all_words, content_words, stem

TAGS = ("question", "answer", "reference", "sources")
BLOCK_RES = {tag: re.compile(rf"<{tag}>(.*?)</{tag}>", re.DOTALL) for tag in TAGS}
ANY_BLOCK_RE = re.compile(r"<(question|answer|reference|sources)>.*?</\1>", re.DOTALL)
MARKER_RE = re.compile(r"\[\[.*?\]\]", re.DOTALL)
# (lowest share, score), checked in order.
BANDS = ((0.9, 5), (0.7, 4), (0.5, 3), (0.25, 2), (0.0, 1))
SUPPORTED = 0.6
LISTED = 4


@dataclass(frozen=True)
class JudgeRequest:
    answer: str
    question: str | None
    reference: str | None
    sources: str | None


def _block(text: str, tag: str) -> str | None:
    found = BLOCK_RES[tag].findall(text)
    return MARKER_RE.sub("", found[-1]).strip() if found else None


def find_judge_request(text: str) -> JudgeRequest | None:
    """The judge request in a last user message, or None when it is not one."""
    answer = _block(text, "answer")
    if answer is None:
        return None
    request = JudgeRequest(
        answer=answer,
        question=_block(text, "question"),
        reference=_block(text, "reference"),
        sources=_block(text, "sources"),
    )
    if request.reference is None and request.sources is None and request.question is None:
        return None
    return request


def instructions_of(text: str) -> str:
    """The message without its material blocks: where a judge request's markers are read."""
    return ANY_BLOCK_RE.sub(" ", text)


def score_for(share: float) -> int:
    return next(score for lowest, score in BANDS if share >= lowest)


def _key_words(text: str) -> dict[str, str]:
    """Distinct content words (folded) → the first way the text wrote each."""
    words: dict[str, str] = {}
    for word in WORD_RE.findall(text):
        folded = content_words(word)
        if folded and folded[0] not in words:
            words[folded[0]] = word.lower()
    if not words:  # a text of function words only
        words = {stem(w): w for w in (m.lower() for m in WORD_RE.findall(text))}
    return words


def _recall(answer: str, target: str, what: str) -> tuple[int, str]:
    wanted = _key_words(target)
    if not wanted:
        return 1, f"The {what} has no words to look for."
    have = set(all_words(answer))
    missing = [shown for folded, shown in wanted.items() if folded not in have]
    share = (len(wanted) - len(missing)) / len(wanted)
    said = f"The answer has {len(wanted) - len(missing)} of the {what}'s {len(wanted)} key words"
    if missing:
        listed = ", ".join(f"'{word}'" for word in missing[:LISTED])
        more = f" and {len(missing) - LISTED} more" if len(missing) > LISTED else ""
        said += f"; it lacks {listed}{more}"
    return score_for(share), said + "."


def _faithfulness(answer: str, sources: str) -> tuple[int, str]:
    passages = [p.text for p in parse_passages(sources)] or [sources]
    passage_words = [set(content_words(text)) for text in passages]
    claims = [s for s in sentences(CITATION_LIKE_RE.sub("", answer)) if content_words(s)]
    if not claims:
        return 1, "The answer makes no claim the sources could support."
    supported = 0
    for claim in claims:
        words = set(content_words(claim))
        best = max(len(words & found) / len(words) for found in passage_words)
        supported += best >= SUPPORTED
    share = supported / len(claims)
    return (
        score_for(share),
        f"The sources support {supported} of the answer's {len(claims)} "
        f"sentence{'' if len(claims) == 1 else 's'}.",
    )


def verdict(request: JudgeRequest) -> str:
    """The judge's reply: a JSON verdict, the same for the same request."""
    if request.sources is not None:
        score, reason = _faithfulness(request.answer, request.sources)
    elif request.reference is not None:
        score, reason = _recall(request.answer, request.reference, "reference")
    else:
        score, reason = _recall(request.answer, request.question or "", "question")
    if not request.answer.strip():
        score, reason = 1, "The answer is empty."
    return json.dumps({"score": score, "reason": reason})
