"""The CI gate's decision: does a suite's run pass its thresholds and hold up against its baseline?

For each grader of the suite, in this order of reasons to fail:
1. **Scored at all.** A grader that scored no case has no mean; it fails rather than reading 0.
2. **Unscored share.** Unscored cases (a judge that answered garbage, an item without expected
   sources) are counted apart, never folded into the mean; more than `max_unscored` of them fails.
3. **Threshold.** The mean over items (each item's repeats averaged first, so an item weighs the
   same at any `repeats`) must reach the grader's threshold, the same number that decides a case.
4. **Baseline.** Items are paired by key with the committed baseline of the same model and the
   change of the mean is bootstrapped over the pairs (statistics.paired_bootstrap, seeded). The
   grader regressed only when the whole interval lies below `-max_drop`: the drop is larger than
   the allowed one even in the most favourable reading of the noise. Pairing removes the spread
   between easy and hard items, which is most of the variance, so a real drop of a few cases
   shows while a judge's wobble does not; the fixed seed makes the same scores give the same
   verdict on every machine.

A case whose target failed (provider error, input too large) fails the suite: it has no scores,
and leaving it out would hide it. Everything here is pure: `run_suite` (below) gathers the
`RunResult` from the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import fmean
from typing import TYPE_CHECKING

from django.conf import settings

from product.core.errors import KeelError
from product.evals import registry, runs, services, statistics
from product.evals.models import Dataset, DatasetItem, Run, RunCase, Score
from product.evals.suites import (
    Baseline,
    BaselineItem,
    Suite,
    SuiteGrader,
    load_corpus,
    read_baseline,
    shown,
    write_baseline,
)
from product.jobs.models import Job

if TYPE_CHECKING:
    from product.accounts.models import User, Workspace

# A change smaller than this is float noise, not a regressed case.
EPSILON = 1e-9
MAX_LISTED_ERRORS = 10
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Observation:
    """One grader's verdict on one case (item × repeat), as the gate reads it."""

    key: str
    grader: str
    value: float | None  # None: unscored
    passed: bool | None = None  # None: value >= the threshold
    explanation: str = ""
    cost_usd: Decimal | None = None
    repeat: int = 0


@dataclass(frozen=True)
class FailedCase:
    key: str
    repeat: int
    message: str


@dataclass
class RunResult:
    """What a run of a suite produced: every score, the cases that failed, what it cost."""

    names: dict[str, str]  # item key -> its name, in dataset order
    observations: list[Observation]
    failed_cases: list[FailedCase] = field(default_factory=list)
    model: str = ""
    prompt_name: str = ""
    prompt_version: str = ""
    config: dict[str, object] = field(default_factory=dict)
    repeats: int = 1
    cost_usd: Decimal | None = None  # None: some price was unknown
    run_id: str = ""

    def item_scores(self, grader: str) -> dict[str, float | None]:
        """Item key -> the mean of its scored repeats (None: every repeat unscored)."""
        values: dict[str, list[float]] = {key: [] for key in self.names}
        seen: set[str] = set()
        for obs in self.observations:
            if obs.grader != grader:
                continue
            seen.add(obs.key)
            if obs.value is not None:
                values.setdefault(obs.key, []).append(obs.value)
        return {key: (fmean(v) if v else None) for key, v in values.items() if key in seen}

    def explanation(self, key: str, grader: str) -> str:
        for obs in self.observations:
            if obs.key == key and obs.grader == grader and obs.explanation:
                return obs.explanation
        return ""

    def as_baseline(self, suite: Suite) -> Baseline:
        per_grader = {g.name: self.item_scores(g.name) for g in suite.graders}
        return Baseline(
            model=self.model,
            prompt_name=self.prompt_name,
            prompt_version=self.prompt_version,
            # Not the collection: a suite's corpus goes into a new scratch one on every run, and
            # its id would make the file change each time.
            config={k: v for k, v in self.config.items() if k != "collection_id"},
            repeats=self.repeats,
            graders={
                g.name: {"params": g.spec.params, "threshold": g.threshold} for g in suite.graders
            },
            items=tuple(
                BaselineItem(
                    key=key,
                    name=name,
                    scores={g: scores.get(key) for g, scores in per_grader.items()},
                )
                for key, name in self.names.items()
            ),
        )


@dataclass(frozen=True)
class RegressedCase:
    key: str
    name: str
    grader: str
    baseline: float
    now: float
    explanation: str = ""

    @property
    def drop(self) -> float:
        return self.baseline - self.now


@dataclass
class GraderVerdict:
    grader: str
    threshold: float
    interval: statistics.Interval | None  # None: nothing scored
    scored: int  # cases (item × repeat) with a score
    passed_cases: int
    unscored: int
    cost_usd: Decimal | None
    delta: statistics.PairedDelta | None = None  # vs the baseline, when there is one
    baseline_mean: float | None = None
    reasons: list[str] = field(default_factory=list)  # why it fails; empty: it passes
    notes: list[str] = field(default_factory=list)  # worth knowing, not failing
    regressed: list[RegressedCase] = field(default_factory=list)  # items lower than the baseline
    regressed_beyond_noise: bool = False  # the whole interval of the change is below -max_drop

    @property
    def passed(self) -> bool:
        return not self.reasons


@dataclass
class SuiteVerdict:
    suite: Suite
    result: RunResult | None
    graders: list[GraderVerdict] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # suite-wide failures (failed cases, errors)
    notes: list[str] = field(default_factory=list)
    baseline_written: str = ""  # the path, when --update-baseline wrote one
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.reasons and all(g.passed for g in self.graders)

    def regressed_cases(self) -> list[RegressedCase]:
        """Items lower than the baseline on a grader that failed, the largest drop first."""
        cases = [case for g in self.graders if not g.passed for case in g.regressed]
        return sorted(cases, key=lambda case: (-case.drop, case.name, case.grader))


def _money_sum(values: list[Decimal | None]) -> Decimal | None:
    if any(value is None for value in values):
        return None
    return sum((value for value in values if value is not None), Decimal(0))


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def judge_grader(
    suite: Suite, entry: SuiteGrader, result: RunResult, baseline: Baseline | None
) -> GraderVerdict:
    observations = [obs for obs in result.observations if obs.grader == entry.name]
    scored = [obs for obs in observations if obs.value is not None]
    passed_cases = sum(
        1
        for obs in scored
        if (obs.passed if obs.passed is not None else (obs.value or 0.0) >= entry.threshold)
    )
    items = result.item_scores(entry.name)
    values = [value for value in items.values() if value is not None]
    gate = suite.gate
    verdict = GraderVerdict(
        grader=entry.name,
        threshold=entry.threshold,
        interval=(
            statistics.mean_interval(values, confidence=gate.confidence, seed=0) if values else None
        ),
        scored=len(scored),
        passed_cases=passed_cases,
        unscored=len(observations) - len(scored),
        cost_usd=_money_sum([obs.cost_usd for obs in observations]),
    )
    if not observations:
        verdict.reasons.append("no case was graded")
        return verdict
    if verdict.interval is None:
        verdict.reasons.append(f"none of {len(observations)} cases could be scored")
        return verdict
    share = verdict.unscored / len(observations)
    if share > entry.max_unscored:
        verdict.reasons.append(
            f"{verdict.unscored} of {len(observations)} cases unscored ({_percent(share)}), "
            f"more than the {_percent(entry.max_unscored)} allowed"
        )
    if verdict.interval.mean < entry.threshold - EPSILON:
        verdict.reasons.append(
            f"mean {verdict.interval.mean:.2f} is below the threshold {entry.threshold:.2f}"
        )
    if baseline is not None:
        _compare_with_baseline(suite, entry, result, baseline, items, verdict)
    return verdict


def _compare_with_baseline(
    suite: Suite,
    entry: SuiteGrader,
    result: RunResult,
    baseline: Baseline,
    items: dict[str, float | None],
    verdict: GraderVerdict,
) -> None:
    before = baseline.scores(entry.name)
    if entry.name not in baseline.graders:
        verdict.notes.append(f"{entry.name} is not in the baseline: thresholds only")
        return
    if baseline.graders[entry.name].get("params", {}) != entry.spec.params:
        verdict.notes.append(
            f"{entry.name}'s params changed since the baseline: record it again if that was meant"
        )
    keys = [key for key, value in items.items() if value is not None and key in before]
    if not keys:
        verdict.notes.append("no scored case in common with the baseline")
        return
    old = [before[key] for key in keys]
    new = [items[key] or 0.0 for key in keys]  # `keys` holds scored items only
    delta = statistics.paired_bootstrap(old, new, confidence=suite.gate.confidence, seed=0)
    verdict.delta = delta
    verdict.baseline_mean = fmean(old)
    verdict.regressed = [
        RegressedCase(
            key=key,
            name=result.names.get(key, key),
            grader=entry.name,
            baseline=b,
            now=n,
            explanation=result.explanation(key, entry.name),
        )
        for key, b, n in zip(keys, old, new, strict=True)
        if n < b - EPSILON
    ]
    if delta.high < -suite.gate.max_drop:
        verdict.regressed_beyond_noise = True
        verdict.reasons.append(
            f"regressed from {verdict.baseline_mean:.2f} to {fmean(new):.2f} "
            f"(change {delta.delta:+.2f}, {_percent(suite.gate.confidence)} interval "
            f"[{delta.low:+.2f}, {delta.high:+.2f}]), more than the {suite.gate.max_drop:.2f} "
            f"allowed, on {len(keys)} paired cases"
        )
    missing = len(before.keys() - items.keys())
    if missing:
        verdict.notes.append(f"{missing} baseline cases are no longer in the suite")


def decide(
    suite: Suite, result: RunResult, baseline: Baseline | None, *, recording: bool = False
) -> SuiteVerdict:
    """The verdict on one suite's run; `baseline` None: thresholds only (`recording`: because
    this run becomes the baseline)."""
    verdict = SuiteVerdict(suite=suite, result=result)
    for case in result.failed_cases:
        verdict.reasons.append(
            f"case {result.names.get(case.key, case.key)}"
            + (f" (repeat {case.repeat + 1})" if result.repeats > 1 else "")
            + f" failed: {case.message}"
        )
    if baseline is None and not recording:
        verdict.notes.append(
            f"no baseline for {result.model}: thresholds only (record one with --update-baseline)"
        )
    elif baseline is not None and baseline.prompt_version != result.prompt_version:
        verdict.notes.append(
            f"the baseline was made with prompt version {baseline.prompt_version}; "
            f"this run used {result.prompt_version}"
        )
    verdict.graders = [judge_grader(suite, entry, result, baseline) for entry in suite.graders]
    return verdict


# --- gathering a run's results -------------------------------------------------------------------


def result_of(run: Run) -> RunResult:
    """A finished run's cases and scores, read from the rows (models are the contract)."""
    items = DatasetItem.objects.filter(version_id=run.dataset_version_id).order_by("position")
    names = {
        str(item.key): str(item.metadata.get("name") or item.key)
        for item in items.only("key", "metadata")
    }
    cases = RunCase.objects.filter(run=run).order_by("item__position", "repeat")
    failed = [
        FailedCase(key=str(case.item_key), repeat=case.repeat, message=case.error_message)
        for case in cases
        if case.status == RunCase.Status.FAILED
    ]
    observations = [
        Observation(
            key=str(score.case.item_key),
            grader=score.grader,
            value=None if score.unscored else score.value,
            passed=score.passed,
            explanation=score.explanation,
            cost_usd=score.cost_usd,
            repeat=score.case.repeat,
        )
        for score in Score.objects.filter(case__run=run)
        .select_related("case")
        .order_by("case__item__position", "case__repeat", "id")
    ]
    config = registry.RunConfig.model_validate(run.config)
    return RunResult(
        names=names,
        observations=observations,
        failed_cases=failed,
        model=config.model or settings.LLM_MODEL,
        prompt_name=run.prompt_name,
        prompt_version=run.prompt_version,
        config=run.config,
        repeats=run.repeats,
        cost_usd=_money_sum([case.cost_usd for case in cases]),
        run_id=str(run.pk),
    )


def run_suite(
    suite: Suite,
    *,
    workspace: Workspace,
    user: User,
    config: registry.RunConfig | None = None,
    repeats: int | None = None,
    progress: Progress | None = None,
) -> Run:
    """Import the suite's rows as a new dataset version, ingest its corpus, run it here, inline.

    The dataset is the suite's own in `workspace` (made on first use): a later call appends a
    version that replaces its items, so a workspace that keeps its runs (not the gate's
    throwaway one) can compare them in the browser.
    """
    say: Progress = progress or (lambda message: None)
    dataset = Dataset.objects.filter(workspace=workspace, name=f"suite {suite.label}").first()
    if dataset is None:
        dataset = services.create_dataset(
            workspace=workspace,
            user=user,
            name=f"suite {suite.label}",
            target=suite.target,
            description=suite.description or f"The eval suite {suite.path.name}",
        )
    version = services.import_items(
        dataset=dataset,
        user=user,
        content=suite.dataset_content(),
        fmt="jsonl",
        filename=suite.dataset_path.name,
        replace=True,
    )
    config = config or suite.config
    if suite.corpus_path is not None:
        say(f"{suite.label}: ingesting {suite.corpus_path.name}/")
        updates = load_corpus(suite, workspace=workspace, user=user)
        config = config.model_copy(update=updates)
    say(f"{suite.label}: {version.item_count} cases × {repeats or suite.repeats} on {suite.target}")
    run = runs.submit_run(
        workspace=workspace,
        user=user,
        dataset_version=version,
        config=config,
        graders=[entry.spec for entry in suite.graders],
        repeats=repeats or suite.repeats,
        name=f"eval {suite.label}",
    )
    return runs.execute_run_inline(run)


def _error_text(exc: KeelError) -> str:
    """A KeelError with its per-row details (an import's), as one readable line."""
    details = exc.details if isinstance(exc.details, list) else []
    rows = [
        f"row {d.get('row')}, {d.get('field') or 'row'}: {d.get('message')}"
        for d in details[:MAX_LISTED_ERRORS]
        if isinstance(d, dict)
    ]
    more = (
        f" (and {len(details) - MAX_LISTED_ERRORS} more)"
        if len(details) > MAX_LISTED_ERRORS
        else ""
    )
    return exc.message + (" " + "; ".join(rows) + more if rows else "")


def evaluate(
    suite: Suite,
    *,
    workspace: Workspace,
    user: User,
    prompt_version: str = "",
    model: str = "",
    repeats: int | None = None,
    update_baseline: bool = False,
    progress: Progress | None = None,
) -> SuiteVerdict:
    """Run one suite and decide; with `update_baseline`, record the run as the baseline of its
    model instead of comparing with it (thresholds still apply)."""
    started = time.monotonic()
    overrides = {"prompt_version": prompt_version, "model": model}
    config = suite.config.model_copy(update={k: v for k, v in overrides.items() if v})
    try:
        run = run_suite(
            suite, workspace=workspace, user=user, config=config, repeats=repeats, progress=progress
        )
        result = result_of(run)
        baseline = None if update_baseline else read_baseline(suite, model=result.model)
    except KeelError as exc:
        return SuiteVerdict(
            suite=suite,
            result=None,
            reasons=[_error_text(exc)],
            seconds=time.monotonic() - started,
        )
    verdict = decide(suite, result, baseline, recording=update_baseline)
    if run.job.status != Job.Status.SUCCEEDED:
        verdict.reasons.insert(
            0, f"the run ended {run.job.status}: {run.job.error_message or 'no reason given'}"
        )
    if update_baseline:
        if result.failed_cases or run.job.status != Job.Status.SUCCEEDED:
            verdict.notes.append("the baseline was not written: some cases did not finish")
        else:
            verdict.baseline_written = shown(write_baseline(suite, result.as_baseline(suite)))
    verdict.seconds = time.monotonic() - started
    return verdict
