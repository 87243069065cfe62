"""The CI gate, both ways: a regression fails it, an unchanged configuration never does.

The first half decides on scores made up here (no database, no model): thresholds, unscored cases
counted apart, failed cases, and a seeded simulation of a noisy judge — twenty reruns of an
unchanged configuration pass while a real drop fails. The second half runs suites end to end on
the dev model server: the shipped Ask once suite passes with prompt version "1" and fails with the
brief candidate "2" (it drops the facts in the second and third sentences), naming the cases; an
unchanged configuration passes twenty reruns in a row.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from product.accounts.models import User, Workspace
from product.evals import gate, report, suites
from product.evals.gate import FailedCase, Observation, RunResult
from product.evals.registry import GraderSpec, RunConfig
from product.evals.suites import Baseline, Gate, Suite, SuiteGrader

ASK_SUITES = Path(__file__).resolve().parents[2] / "ask" / "eval_suites"


def make_suite(
    *graders: tuple[str, float], max_drop: float = 0.05, max_unscored: float = 0.1
) -> Suite:
    return Suite(
        name="simulated",
        app="evals",
        path=Path("simulated.toml"),
        description="",
        target="ask.once",
        dataset_path=Path("simulated.jsonl"),
        repeats=1,
        config=RunConfig(),
        graders=tuple(
            SuiteGrader(spec=GraderSpec(name=name), threshold=threshold, max_unscored=max_unscored)
            for name, threshold in graders
        ),
        gate=Gate(max_drop=max_drop, max_unscored=max_unscored),
    )


def result_of(scores: Mapping[str, Sequence[float | None]], *, failed: int = 0) -> RunResult:
    """A run's result: grader -> one value per item (None: unscored), items named case-N."""
    count = len(next(iter(scores.values())))
    names = {f"k{i}": f"case-{i}" for i in range(count)}
    return RunResult(
        names=names,
        observations=[
            Observation(key=f"k{i}", grader=grader, value=value)
            for grader, values in scores.items()
            for i, value in enumerate(values)
        ],
        failed_cases=[
            FailedCase(key=f"k{i}", repeat=0, message="provider error") for i in range(failed)
        ],
        model="keel-dev-small",
        prompt_version="1",
    )


def baseline_of(result: RunResult, suite: Suite) -> Baseline:
    return result.as_baseline(suite)


# --- the decision -------------------------------------------------------------------------------


def test_it_passes_a_run_equal_to_its_baseline() -> None:
    suite = make_suite(("contains", 1.0), ("llm_judge", 0.6))
    result = result_of({"contains": [1.0] * 6, "llm_judge": [1.0, 0.75, 0.75, 1.0, 0.5, 1.0]})
    verdict = gate.decide(suite, result, baseline_of(result, suite))
    assert verdict.passed
    judge = verdict.graders[1]
    assert judge.delta is not None and judge.delta.delta == 0
    assert judge.interval is not None and judge.interval.mean == pytest.approx(5 / 6)
    assert not verdict.regressed_cases()


def test_it_fails_a_mean_below_the_threshold_and_says_so() -> None:
    suite = make_suite(("contains", 1.0))
    verdict = gate.decide(suite, result_of({"contains": [1.0, 1.0, 0.5, 1.0]}), None)
    assert not verdict.passed
    assert verdict.graders[0].reasons == ["mean 0.88 is below the threshold 1.00"]
    assert verdict.graders[0].passed_cases == 3
    assert any("no baseline" in note for note in verdict.notes)


def test_it_counts_unscored_cases_apart_never_as_zero() -> None:
    suite = make_suite(("llm_judge", 0.6), max_unscored=0.25)
    verdict = gate.decide(suite, result_of({"llm_judge": [1.0, None, 0.75, 1.0]}), None)
    judge = verdict.graders[0]
    assert judge.unscored == 1
    assert judge.scored == 3
    assert judge.interval is not None and judge.interval.mean == pytest.approx(2.75 / 3)
    assert verdict.passed  # 1 of 4 is within the 25% allowed

    stricter = make_suite(("llm_judge", 0.6), max_unscored=0.1)
    verdict = gate.decide(stricter, result_of({"llm_judge": [1.0, None, 0.75, 1.0]}), None)
    assert verdict.graders[0].reasons == ["1 of 4 cases unscored (25%), more than the 10% allowed"]


def test_it_fails_a_grader_that_scored_nothing() -> None:
    suite = make_suite(("faithfulness", 0.5), max_unscored=1.0)
    verdict = gate.decide(suite, result_of({"faithfulness": [None, None]}), None)
    assert verdict.graders[0].reasons == ["none of 2 cases could be scored"]
    assert verdict.graders[0].interval is None


def test_it_fails_a_suite_whose_cases_failed() -> None:
    suite = make_suite(("contains", 1.0))
    verdict = gate.decide(suite, result_of({"contains": [1.0, 1.0]}, failed=1), None)
    assert not verdict.passed
    assert verdict.graders[0].passed
    assert verdict.reasons == ["case case-0 failed: provider error"]


def test_it_lets_a_drop_within_max_drop_pass_and_lists_nothing() -> None:
    suite = make_suite(("llm_judge", 0.5), max_drop=0.1)
    before = result_of({"llm_judge": [1.0] * 20})
    after = result_of({"llm_judge": [1.0] * 19 + [0.75]})  # mean -0.0125
    verdict = gate.decide(suite, after, baseline_of(before, suite))
    assert verdict.passed
    assert verdict.graders[0].regressed  # the lower case is known ...
    assert not verdict.regressed_cases()  # ... and listed only when the grader failed


def test_it_fails_a_regression_beyond_the_noise_and_lists_the_cases_largest_drop_first() -> None:
    suite = make_suite(("llm_judge", 0.5))
    before = result_of({"llm_judge": [1.0, 1.0, 0.75, 1.0, 1.0, 0.75, 1.0, 1.0]})
    after = result_of({"llm_judge": [0.5, 1.0, 0.25, 1.0, 0.5, 0.75, 0.0, 1.0]})
    verdict = gate.decide(suite, after, baseline_of(before, suite))
    judge = verdict.graders[0]
    assert not verdict.passed
    assert judge.regressed_beyond_noise
    assert judge.delta is not None and judge.delta.high < -0.05
    assert [(c.name, c.baseline, c.now) for c in verdict.regressed_cases()] == [
        ("case-6", 1.0, 0.0),
        ("case-0", 1.0, 0.5),
        ("case-2", 0.75, 0.25),
        ("case-4", 1.0, 0.5),
    ]
    text = report.render([verdict])
    assert "regressed cases (4), largest drop first:" in text
    assert "case-6 · llm_judge: 1.00 → 0.00" in text


# --- a noisy judge, simulated -------------------------------------------------------------------

ITEMS = 40
JUDGE_NOISE = 0.12  # the spread of one judge score around the item's quality, before rounding


def judge_scores(quality: list[float], rng: random.Random) -> list[float | None]:
    """A 1..5 judge mapped to 0..1: the item's quality plus noise, rounded to a step of 0.25."""
    return [min(1.0, max(0.0, round((q + rng.gauss(0, JUDGE_NOISE)) * 4) / 4)) for q in quality]


def test_a_noisy_judge_never_fails_twenty_reruns_of_an_unchanged_configuration() -> None:
    rng = random.Random(11)
    quality = [rng.uniform(0.55, 1.0) for _ in range(ITEMS)]
    suite = make_suite(("llm_judge", 0.5))
    baseline = baseline_of(result_of({"llm_judge": judge_scores(quality, random.Random(0))}), suite)
    verdicts = [
        gate.decide(
            suite, result_of({"llm_judge": judge_scores(quality, random.Random(seed))}), baseline
        )
        for seed in range(1, 21)
    ]
    deltas = [v.graders[0].delta for v in verdicts]
    assert all(v.passed for v in verdicts), [(d.delta, d.low, d.high) for d in deltas if d]
    # The reruns did differ from the baseline: the gate passed noise, not identical numbers.
    assert sum(1 for d in deltas if d is not None and d.delta != 0) >= 15


def test_a_noisy_judge_still_fails_a_real_drop() -> None:
    rng = random.Random(11)
    quality = [rng.uniform(0.55, 1.0) for _ in range(ITEMS)]
    suite = make_suite(("llm_judge", 0.5))
    baseline = baseline_of(result_of({"llm_judge": judge_scores(quality, random.Random(0))}), suite)
    # Half of the cases lose half their quality (the prompt drops what they need): a fall of
    # the mean of about 0.23, under the same judge noise.
    worse = [q - 0.5 if i % 2 == 0 else q for i, q in enumerate(quality)]
    for seed in range(1, 11):
        verdict = gate.decide(
            suite, result_of({"llm_judge": judge_scores(worse, random.Random(seed))}), baseline
        )
        assert not verdict.passed
        assert verdict.graders[0].regressed_beyond_noise


# --- end to end, on the dev model server ----------------------------------------------------------


@pytest.fixture
def mini_suite(tmp_path: Path) -> Suite:
    """Three cases of the shipped Ask once suite, in a folder of the test's own (its baseline
    is written there, not into the repository)."""
    rows = (ASK_SUITES / "summaries.jsonl").read_text().splitlines()[:3]
    (tmp_path / "mini.jsonl").write_text("\n".join(rows) + "\n")
    toml = (ASK_SUITES / "summaries.toml").read_text()
    toml = toml.replace('name = "summaries"', 'name = "mini"').replace(
        'dataset = "summaries.jsonl"', 'dataset = "mini.jsonl"'
    )
    (tmp_path / "mini.toml").write_text(toml)
    return suites.load_suite(tmp_path / "mini.toml", app="ask")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("devmodel_llm")
def test_twenty_reruns_of_an_unchanged_configuration_never_fail(
    alice: User, acme: Workspace, mini_suite: Suite
) -> None:
    first = gate.evaluate(mini_suite, workspace=acme, user=alice, update_baseline=True)
    assert first.passed, report.render([first])
    assert first.baseline_written
    for _ in range(20):
        verdict = gate.evaluate(mini_suite, workspace=acme, user=alice)
        assert verdict.passed, report.render([verdict])
        assert all(g.delta is not None and g.delta.high >= -0.05 for g in verdict.graders)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("devmodel_llm")
def test_the_shipped_ask_suite_passes_its_committed_baseline(tmp_path: Path) -> None:
    out = StringIO()
    junit = tmp_path / "junit.xml"
    call_command(
        "eval",
        suite=["ask/summaries"],
        current_database=True,
        junit_xml=junit,
        stdout=out,
        stderr=StringIO(),
    )
    text = out.getvalue()
    assert "1 of 1 suites passed." in text
    assert "regressed cases" not in text
    root = ET.parse(junit).getroot()  # noqa: S314 (the file this test just wrote)
    assert root.get("failures") == "0"
    assert {case.get("name") for case in root.iter("testcase")} == {
        "contains",
        "llm_judge",
        "cases",
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("devmodel_llm")
def test_an_injected_regression_fails_the_gate_and_names_the_cases(tmp_path: Path) -> None:
    # Version "2" answers in one sentence: the facts in the second and third sentences go.
    out = StringIO()
    junit = tmp_path / "junit.xml"
    with pytest.raises(CommandError, match="The eval gate failed: ask/summaries") as failed:
        call_command(
            "eval",
            suite=["ask/summaries"],
            prompt_version="2",
            current_database=True,
            junit_xml=junit,
            stdout=out,
            stderr=StringIO(),
        )
    assert failed.value.returncode == 1
    text = out.getvalue()
    assert "contains: mean" in text and "is below the threshold 1.00" in text
    assert "contains: regressed from 1.00" in text
    assert "regressed cases (" in text
    assert "tenants-vote · contains: 1.00 → 0.00" in text  # none of its facts is in sentence 1
    assert "the baseline was made with prompt version 1; this run used 2" in text
    root = ET.parse(junit).getroot()  # noqa: S314 (the file this test just wrote)
    assert int(root.get("failures") or 0) >= 1
    contains = next(c for c in root.iter("testcase") if c.get("name") == "contains")
    failure = contains.find("failure")
    assert failure is not None
    assert "tenants-vote" in (failure.text or "")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("devmodel_llm")
def test_update_baseline_rewrites_an_unchanged_baseline_byte_for_byte(
    alice: User, acme: Workspace, mini_suite: Suite
) -> None:
    gate.evaluate(mini_suite, workspace=acme, user=alice, update_baseline=True)
    first = mini_suite.baseline_path.read_bytes()
    gate.evaluate(mini_suite, workspace=acme, user=alice, update_baseline=True)
    assert mini_suite.baseline_path.read_bytes() == first


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("devmodel_llm")
def test_the_shipped_handbook_suite_ingests_its_corpus_and_passes(
    alice: User, acme: Workspace
) -> None:
    (handbook,) = suites.select(suites.discover(), ["knowledge/handbook"])
    verdict = gate.evaluate(handbook, workspace=acme, user=alice)
    assert verdict.passed, report.render([verdict])
    assert [g.grader for g in verdict.graders] == [
        "retrieval_recall",
        "citation_validity",
        "contains",
        "faithfulness",
    ]
    assert all(g.delta is not None for g in verdict.graders)  # compared with its baseline
