"""What a run scored, and how runs differ: the numbers the run and compare pages, the API and the
CI gate read.

`summarize(run)`: per grader the mean over *items* (an item's repeats are averaged first, so ten
repeats of one case do not weigh ten times) with its bootstrap interval, the pass rate over scored
cases, and the scored and unscored counts apart (an unscored case is never a 0); then cost, latency
percentiles and failed cases.

`compare(runs)`: the first run is the baseline. Cases pair by item key (stable across dataset
versions); per case each run's output, its word diff against the baseline's (escaped HTML with
<ins>/<del>), each grader's value and its change; cases sorted with the largest regression first.
In aggregate, per grader and per candidate, the paired bootstrap of the change over the items both
scored (statistics.paired_bootstrap, seeded: the same runs always give the same interval).
"""

from __future__ import annotations

import difflib
import html
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from product.evals import statistics
from product.evals.errors import EvalError
from product.evals.models import Run, RunCase, Score
from product.evals.registry import GraderSpec, get_grader
from product.evals.statistics import Interval, PairedDelta

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class GraderSummary:
    name: str
    label: str
    threshold: float
    interval: Interval | None  # over items; None when no case was scored
    pass_rate: float | None  # over scored cases
    passed: int
    scored: int  # cases
    unscored: int  # cases, counted apart
    calls_model: bool

    def as_json(self) -> dict[str, Any]:
        interval = self.interval
        return {
            "grader": self.name,
            "label": self.label,
            "threshold": self.threshold,
            "mean": None if interval is None else interval.mean,
            "low": None if interval is None else interval.low,
            "high": None if interval is None else interval.high,
            "items": 0 if interval is None else interval.n,
            "pass_rate": self.pass_rate,
            "passed": self.passed,
            "scored": self.scored,
            "unscored": self.unscored,
        }


@dataclass(frozen=True)
class RunSummary:
    run_id: uuid.UUID
    case_count: int
    finished: int
    failed: int
    graders: list[GraderSummary]
    cost_usd: Decimal  # of the cases whose cost is known
    cost_unknown: int  # cases with a model of unknown price
    cost_per_case_usd: Decimal | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    input_tokens: int
    output_tokens: int

    def grader(self, name: str) -> GraderSummary | None:
        return next((g for g in self.graders if g.name == name), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": str(self.run_id),
            "case_count": self.case_count,
            "finished": self.finished,
            "failed": self.failed,
            "graders": [g.as_json() for g in self.graders],
            "cost_usd": str(self.cost_usd),
            "cost_unknown": self.cost_unknown,
            "cost_per_case_usd": None
            if self.cost_per_case_usd is None
            else str(self.cost_per_case_usd),
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p95_ms": self.latency_p95_ms,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
        }


@dataclass
class _Loaded:
    run: Run
    cases: list[RunCase]
    # item key -> grader -> the case values (scored only), and the unscored count
    values: dict[uuid.UUID, dict[str, list[float]]]
    outputs: dict[uuid.UUID, RunCase]  # item key -> its first repeat's case
    scores: dict[int, list[Score]]  # case id -> its scores

    def scores_of(self, case: RunCase) -> list[Score]:
        return self.scores.get(case.pk, [])


def _specs(run: Run) -> list[GraderSpec]:
    return [GraderSpec.model_validate(raw) for raw in run.graders]


def _label_and_threshold(spec: GraderSpec) -> tuple[str, float, bool]:
    try:
        grader = get_grader(spec.name)
    except LookupError:
        return spec.name, spec.threshold if spec.threshold is not None else 1.0, False
    threshold = spec.threshold if spec.threshold is not None else grader.default_threshold
    return grader.label, threshold, grader.calls_model


def _load(run: Run) -> _Loaded:
    cases = list(
        RunCase.objects.filter(run=run).select_related("item").order_by("item__position", "repeat")
    )
    scores: dict[int, list[Score]] = defaultdict(list)
    for score in Score.objects.filter(case__run=run).order_by("id"):
        scores[score.case_id].append(score)
    values: dict[uuid.UUID, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    outputs: dict[uuid.UUID, RunCase] = {}
    for case in cases:
        outputs.setdefault(case.item_key, case)
        for score in scores.get(case.pk, []):
            if not score.unscored and score.value is not None:
                values[case.item_key][score.grader].append(score.value)
    return _Loaded(run=run, cases=cases, values=values, outputs=outputs, scores=scores)


def _item_means(loaded: _Loaded, grader: str) -> dict[uuid.UUID, float]:
    """Per item, the mean of its scored repeats for `grader` (items with none are left out)."""
    means = {}
    for key, by_grader in loaded.values.items():
        found = by_grader.get(grader)
        if found:
            means[key] = sum(found) / len(found)
    return means


def _summarize(loaded: _Loaded) -> RunSummary:
    run, cases = loaded.run, loaded.cases
    graders = []
    for spec in _specs(run):
        label, threshold, calls_model = _label_and_threshold(spec)
        case_scores = [s for case in cases for s in loaded.scores_of(case) if s.grader == spec.name]
        scored = [s for s in case_scores if not s.unscored]
        passed = sum(1 for s in scored if s.passed)
        means = list(_item_means(loaded, spec.name).values())
        graders.append(
            GraderSummary(
                name=spec.name,
                label=label,
                threshold=threshold,
                interval=statistics.mean_interval(means) if means else None,
                pass_rate=passed / len(scored) if scored else None,
                passed=passed,
                scored=len(scored),
                unscored=len(case_scores) - len(scored),
                calls_model=calls_model,
            )
        )
    known = [case.cost_usd for case in cases if case.cost_usd is not None]
    cost = sum(known, Decimal(0))
    latencies = [float(case.latency_ms) for case in cases if case.latency_ms is not None]
    return RunSummary(
        run_id=run.pk,
        case_count=run.case_count,
        finished=len(cases),
        failed=sum(1 for case in cases if case.status == RunCase.Status.FAILED),
        graders=graders,
        cost_usd=cost,
        cost_unknown=len(cases) - len(known),
        cost_per_case_usd=(cost / len(known)).quantize(Decimal("0.000001")) if known else None,
        latency_p50_ms=statistics.percentile(latencies, 50) if latencies else None,
        latency_p95_ms=statistics.percentile(latencies, 95) if latencies else None,
        input_tokens=sum(case.input_tokens for case in cases),
        output_tokens=sum(case.output_tokens for case in cases),
    )


def summarize(run: Run) -> RunSummary:
    return _summarize(_load(run))


# --- comparison -------------------------------------------------------------------------------


def word_diff(before: str, after: str) -> str:
    """`after` against `before`, word by word, as escaped HTML: <del>removed</del><ins>added</ins>."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    out = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.append(html.escape("".join(old[a1:a2])))
            continue
        if a2 > a1:
            out.append(f"<del>{html.escape(''.join(old[a1:a2]))}</del>")
        if b2 > b1:
            out.append(f"<ins>{html.escape(''.join(new[b1:b2]))}</ins>")
    return "".join(out)


@dataclass(frozen=True)
class CaseCell:
    """One run's side of a compared case."""

    run_id: uuid.UUID
    status: str | None  # None: the run has no case for this item
    output: str
    diff_html: str  # against the baseline's output ("" for the baseline itself)
    values: dict[str, float | None]  # grader -> the item's mean over scored repeats
    deltas: dict[str, float | None]  # grader -> value − baseline's value
    explanations: dict[str, str]  # grader -> the first repeat's explanation
    cost_usd: Decimal | None
    latency_ms: int | None


@dataclass(frozen=True)
class CaseComparison:
    key: uuid.UUID
    name: str  # the item's name (metadata.name) or its position
    input: dict[str, Any]
    reference: str
    cells: list[CaseCell]
    worst_delta: float | None  # the largest drop of any grader in any candidate (negative)

    @property
    def regressed(self) -> bool:
        return self.worst_delta is not None and self.worst_delta < 0


@dataclass(frozen=True)
class AggregateDelta:
    grader: str
    run_id: uuid.UUID
    paired: PairedDelta | None  # None: no item scored by both runs

    @property
    def regressed(self) -> bool:
        # Confidently worse: the whole interval is below zero.
        return self.paired is not None and self.paired.high < 0

    @property
    def improved(self) -> bool:
        return self.paired is not None and self.paired.low > 0


@dataclass
class Comparison:
    runs: list[Run]
    summaries: list[RunSummary]
    graders: list[str]  # the graders of the baseline that another run has too, in order
    cases: list[CaseComparison]
    deltas: list[AggregateDelta] = field(default_factory=list)

    @property
    def baseline(self) -> Run:
        return self.runs[0]

    def delta(self, grader: str, run_id: uuid.UUID) -> AggregateDelta | None:
        return next((d for d in self.deltas if d.grader == grader and d.run_id == run_id), None)


def _cell(loaded: _Loaded, key: uuid.UUID, graders: list[str], base: CaseCell | None) -> CaseCell:
    case = loaded.outputs.get(key)
    values: dict[str, float | None] = {}
    for grader in graders:
        found = loaded.values.get(key, {}).get(grader)
        values[grader] = sum(found) / len(found) if found else None
    deltas: dict[str, float | None] = {}
    for grader in graders:
        before = base.values.get(grader) if base is not None else None
        after = values[grader]
        deltas[grader] = None if base is None or before is None or after is None else after - before
    explanations = {}
    if case is not None:
        explanations = {s.grader: s.explanation for s in loaded.scores_of(case)}
    output = case.output if case is not None else ""
    return CaseCell(
        run_id=loaded.run.pk,
        status=case.status if case is not None else None,
        output=output if case is None or case.status == RunCase.Status.DONE else case.error_message,
        diff_html="" if base is None else word_diff(base.output, output),
        values=values,
        deltas=deltas,
        explanations=explanations,
        cost_usd=case.cost_usd if case is not None else None,
        latency_ms=case.latency_ms if case is not None else None,
    )


def compare(runs: list[Run]) -> Comparison:
    """Compare runs against the first; see the module docstring."""
    if len(runs) < 2:
        raise EvalError("Pick at least two runs to compare.", code="too_few_runs")
    loaded = [_load(run) for run in runs]
    candidates = [{spec.name for spec in _specs(run)} for run in runs[1:]]
    graders = [
        spec.name for spec in _specs(runs[0]) if any(spec.name in names for names in candidates)
    ]
    # Every item key any run has, in the baseline's order first.
    keys: list[uuid.UUID] = []
    meta: dict[uuid.UUID, RunCase] = {}
    for one in loaded:
        for case in one.cases:
            if case.item_key not in meta:
                meta[case.item_key] = case
                keys.append(case.item_key)
    cases = []
    for key in keys:
        base = _cell(loaded[0], key, graders, None)
        cells = [base] + [_cell(one, key, graders, base) for one in loaded[1:]]
        drops = [d for cell in cells[1:] for d in cell.deltas.values() if d is not None]
        item = meta[key].item
        cases.append(
            CaseComparison(
                key=key,
                name=str(item.metadata.get("name") or f"#{item.position + 1}"),
                input=item.input,
                reference=item.reference,
                cells=cells,
                worst_delta=min(drops) if drops else None,
            )
        )
    position = {key: index for index, key in enumerate(keys)}
    # The largest regression first; unchanged and improved cases keep the dataset's order.
    cases.sort(key=lambda c: (min(c.worst_delta or 0.0, 0.0), position[c.key]))
    deltas = []
    for grader in graders:
        base_means = _item_means(loaded[0], grader)
        for one in loaded[1:]:
            means = _item_means(one, grader)
            paired = [key for key in keys if key in base_means and key in means]
            deltas.append(
                AggregateDelta(
                    grader=grader,
                    run_id=one.run.pk,
                    paired=statistics.paired_bootstrap(
                        [base_means[k] for k in paired], [means[k] for k in paired]
                    )
                    if paired
                    else None,
                )
            )
    return Comparison(
        runs=runs,
        summaries=[_summarize(one) for one in loaded],
        graders=graders,
        cases=cases,
        deltas=deltas,
    )
