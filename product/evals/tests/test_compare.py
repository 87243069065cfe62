"""Summaries and comparisons: means over items with intervals, unscored apart, regressions first."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from product.accounts.models import User, Workspace
from product.evals import compare, runs
from product.evals.errors import EvalError
from product.evals.registry import GraderSpec, RunConfig
from product.evals.tests.run_helpers import make_version

pytestmark = [
    pytest.mark.usefixtures("devmodel_llm"),
    pytest.mark.django_db(transaction=True),
]

TEXTS = [
    ("The refund is $40. It was sent on Monday. Support closed the ticket.", "$40"),
    ("The office opens at nine. Parking is free. The launch is on April 3.", "April 3"),
    ("Keel runs on Postgres. It also runs on SQLite. Redis is optional.", "Postgres"),
]


def _version(acme: Workspace, alice: User) -> Any:
    rows = [
        {
            "input": {"task": "summarise", "text": text},
            "metadata": {"must_contain": [fact], "name": f"case {n}"},
        }
        for n, (text, fact) in enumerate(TEXTS)
    ]
    return make_version(acme, alice, rows)


def _run(acme: Workspace, alice: User, version: Any, prompt_version: str, **kwargs: Any) -> Any:
    run = runs.submit_run(
        workspace=acme,
        user=alice,
        dataset_version=version,
        config=RunConfig(prompt_version=prompt_version),
        graders=[GraderSpec(name="contains"), GraderSpec(name="test_unscored")],
        **kwargs,
    )
    return runs.execute_run_inline(run)


def test_a_summary_counts_unscored_apart_and_averages_repeats_per_item(
    alice: User, acme: Workspace
) -> None:
    import product.evals.tests.run_helpers  # noqa: F401 (registers test_unscored)

    run = _run(acme, alice, _version(acme, alice), "1", repeats=2)
    summary = compare.summarize(run)
    assert (summary.case_count, summary.finished, summary.failed) == (6, 6, 0)
    contains, unscored = summary.graders
    assert contains.name == "contains" and contains.interval is not None
    assert (contains.interval.mean, contains.interval.n) == (1.0, 3)  # items, not cases
    assert (contains.scored, contains.unscored, contains.pass_rate) == (6, 0, 1.0)
    assert unscored.interval is None and unscored.pass_rate is None
    assert (unscored.scored, unscored.unscored) == (0, 6)
    assert summary.cost_usd >= Decimal(0) and summary.latency_p50_ms is not None
    assert summary.as_json()["graders"][1]["mean"] is None


def test_a_comparison_puts_the_regressed_case_first(alice: User, acme: Workspace) -> None:
    version = _version(acme, alice)
    baseline = _run(acme, alice, version, "1")
    brief = _run(acme, alice, version, "2")  # one sentence: drops facts not in the first
    result = compare.compare([baseline, brief])
    assert result.graders == ["contains", "test_unscored"]
    first = result.cases[0]
    assert first.name == "case 1" and first.regressed
    base_cell, brief_cell = first.cells
    assert base_cell.values["contains"] == 1.0 and brief_cell.values["contains"] == 0.0
    assert brief_cell.deltas["contains"] == -1.0
    assert "<del>" in brief_cell.diff_html
    assert "Missing" in brief_cell.explanations["contains"]
    assert [case.regressed for case in result.cases[1:]] == [False, False]
    assert result.cases[1].name == "case 0"  # then the dataset's order
    delta = result.delta("contains", brief.pk)
    assert delta is not None and delta.paired is not None
    assert delta.paired.delta == pytest.approx(-1 / 3) and delta.paired.n == 3
    unscored = result.delta("test_unscored", brief.pk)
    assert unscored is not None and unscored.paired is None
    with pytest.raises(EvalError, match="at least two runs"):
        compare.compare([baseline])


def test_the_word_diff_is_escaped() -> None:
    diff = compare.word_diff("Use <b>bold</b> text", "Use <i>it</i> text")
    assert diff == "Use <del>&lt;b&gt;bold&lt;/b&gt;</del><ins>&lt;i&gt;it&lt;/i&gt;</ins> text"
