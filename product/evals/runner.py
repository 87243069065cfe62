"""Executing a run: many cases in flight, each finished, graded and charged exactly once.

The run's job (handlers.py) calls `execute`. A case is one dataset item × one repeat. Cases run in
a thread pool of `run.concurrency` (they wait on models, not on the CPU); each case:

1. validates the item's input against the target's input_model (a bad item: a failed case);
2. calls the target with a `CaseLink` as the gateway's `job=`: the ledger rows name the run's job,
   failed attempts are written at once, and the answering call's row and the settlement of its
   reservation are handed to the link instead of being written;
3. runs each grader (with the same link, so a judge's calls are the case's too);
4. writes, in ONE transaction, the link's charges, the RunCase and its Scores. The RunCase is
   unique per (run, item, repeat): if it already exists (another attempt finished it), the
   transaction rolls back and its reservations are released, so a case is never graded twice
   nor charged twice. A worker killed before the commit leaves nothing of the case; the re-run
   (the reaper's, or a resume) skips finished cases and does the rest.

Calls are made with `user=None`: the per-person requests-per-minute limit is fairness for
interactive use and would stop any run of more than a few dozen cases; the workspace's budget
still holds every call (each reserves in the gateway) and the run records who started it.

A grader raising `Unscored` scores the case "unscored" with its reason; a grader that crashes
scores it unscored with "The grader failed: …" (logged): counted apart, never a 0 or a NaN. A
target failing with a KeelError (the provider, an input too large) makes the case "failed" with
that message and skips its graders. The workspace's budget running out stops the run (the cases
in flight land first) with the budget's message: resume it once the budget allows.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connections, transaction
from pydantic import BaseModel, ValidationError

from product.core import tracing
from product.core.db import release_connection
from product.core.errors import KeelError
from product.evals.models import DatasetItem, Run, RunCase, Score
from product.evals.registry import (
    GradeContext,
    Grader,
    GraderSpec,
    RunConfig,
    Target,
    TargetContext,
    TargetOutput,
    Unscored,
    get_grader,
    get_target,
)
from product.jobs.models import Job
from product.jobs.registry import JobCancelled, JobContext
from product.llm import gateway, quotas
from product.llm.errors import QuotaExceeded
from product.llm.models import LLMCall

if TYPE_CHECKING:
    from product.llm.gateway import PendingCharge

logger = logging.getLogger(__name__)

TARGET_CRASHED = "Something went wrong on our side while running this case."


@dataclass
class CaseLink:
    """The gateway's `job=` for one case: ledger rows name the run's job; the answering calls'
    charges wait here for the case's transaction, and every call made is noted for the case."""

    job_id: uuid.UUID
    charges: list[PendingCharge] = field(default_factory=list)
    calls: list[LLMCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def defer_charge(self, charge: PendingCharge) -> None:
        with self._lock:
            self.charges.append(charge)

    def note_call(self, call: LLMCall) -> None:
        with self._lock:
            self.calls.append(call)

    def calls_since(self, start: int) -> list[LLMCall]:
        with self._lock:
            return self.calls[start:]


@dataclass(frozen=True)
class CaseKey:
    item_id: uuid.UUID
    repeat: int


@dataclass(frozen=True)
class Plan:
    """What every case of a run needs, loaded once per attempt."""

    run: Run
    target: Target
    config: RunConfig
    graders: list[tuple[GraderSpec, Grader | None]]
    attempt: int
    should_stop: Callable[[], bool]


@dataclass
class Outcome:
    """What a case thread reports back to the loop."""

    recorded: (
        bool  # this attempt wrote the case (False: it was already there, or the claim is gone)
    )
    failed: bool = False
    stop: KeelError | None = None  # the run must stop (the budget ran out)
    claim_lost: bool = False


class _ClaimLost(Exception):  # noqa: N818 (internal control flow)
    """Another attempt holds the run's job now: this one stops writing cases."""


def _cost(calls: list[LLMCall]) -> Decimal | None:
    """The price of these calls; None when one that used tokens has no known price."""
    total = Decimal(0)
    for call in calls:
        if call.status == LLMCall.Status.FAILED:
            continue  # a failed attempt used no tokens: free
        if call.cost_unknown or call.cost_usd is None:
            return None
        total += call.cost_usd
    return total


def _holds_claim(plan: Plan) -> bool:
    # A plain read, no lock: a case that lands just after its job ended is still finished once
    # (the unique constraint), and a row lock held by every case would make the heartbeat's
    # SKIP LOCKED skip a busy run until the reaper took it for dead.
    return Job.objects.filter(
        pk=plan.run.job_id, status=Job.Status.RUNNING, attempts=plan.attempt
    ).exists()


def _grade(plan: Plan, item: DatasetItem, output: TargetOutput, link: CaseLink) -> list[Score]:
    scores = []
    for spec, grader in plan.graders:
        before = len(link.calls_since(0))
        value: float | None = None
        passed: bool | None = None
        explanation = ""
        if grader is None:
            explanation = f"The grader “{spec.name}” is no longer available, so it could not grade."
        else:
            params = {**grader.params, **spec.params}
            context = GradeContext(
                workspace=plan.run.workspace,
                user=None,
                item=item,
                output=output,
                params=params,
                link=link,
            )
            try:
                with tracing.span(tracing.GRADER, f"grade {spec.name}") as step:
                    grade = grader.grade(context)
                    step.update(
                        {"keel.grade.value": grade.value, "keel.grade.passed": grade.passed}
                    )
                value = float(grade.value)
                threshold = (
                    spec.threshold if spec.threshold is not None else grader.default_threshold
                )
                passed = grade.passed if grade.passed is not None else value >= threshold
                explanation = grade.explanation
            except Unscored as exc:
                explanation = str(exc) or "The grader could not grade this case."
            except Exception as exc:
                logger.exception(
                    "grader %s failed on item %s of run %s", spec.name, item.pk, plan.run.pk
                )
                explanation = f"The grader failed: {type(exc).__name__}: {exc}"[:2000]
        scores.append(
            Score(
                grader=spec.name,
                value=value,
                passed=passed,
                unscored=value is None,
                explanation=explanation,
                cost_usd=_cost(link.calls_since(before)),
            )
        )
    return scores


def _release(link: CaseLink) -> None:
    for charge in link.charges:
        quotas.release(charge.reservation)


def run_case(plan: Plan, item: DatasetItem, repeat: int) -> Outcome:
    """One case, start to its transaction. Runs in a pool thread; one step of the run's trace,
    with the target's model calls and each grader inside it."""
    with tracing.span(
        tracing.STAGE, f"case {item.key}#{repeat}", {"keel.eval.item": str(item.pk)}
    ) as step:
        outcome = _run_case(plan, item, repeat)
        if outcome.failed:
            step.fail("the case failed")
        return outcome


def _run_case(plan: Plan, item: DatasetItem, repeat: int) -> Outcome:
    run, target = plan.run, plan.target
    link = CaseLink(run.job_id)
    case = RunCase(run=run, item=item, item_key=item.key, repeat=repeat, status=RunCase.Status.DONE)
    scores: list[Score] = []
    try:
        data: BaseModel = target.input_model.model_validate(item.input)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or 'input'}: {error['msg']}"
            for error in exc.errors()
        )
        case.status = RunCase.Status.FAILED
        case.error_code = "invalid_input"
        case.error_message = f"The item's input is not valid for {target.label}: {problems}"[:2000]
    else:
        started = time.monotonic()
        try:
            output = target.run(
                TargetContext(
                    workspace=run.workspace,
                    user=None,
                    input=data,
                    config=plan.config,
                    prompt_version=run.prompt_version,
                    link=link,
                    should_stop=plan.should_stop,
                )
            )
        except QuotaExceeded as exc:
            _release(link)
            return Outcome(recorded=False, stop=exc)
        except KeelError as exc:
            case.status = RunCase.Status.FAILED
            case.error_code, case.error_message = exc.code, exc.message
        except Exception:
            logger.exception("target %s crashed on item %s of run %s", target.name, item.pk, run.pk)
            case.status = RunCase.Status.FAILED
            case.error_code, case.error_message = "internal_error", TARGET_CRASHED
        else:
            case.latency_ms = int((time.monotonic() - started) * 1000)
            target_calls = [c for c in link.calls_since(0) if c.status != LLMCall.Status.FAILED]
            case.input_tokens = sum(c.input_tokens for c in target_calls)
            case.output_tokens = sum(c.output_tokens for c in target_calls)
            case.output = output.text
            case.details = output.details()
            scores = _grade(plan, item, output, link)
    calls = link.calls_since(0)
    case.call_ids = [str(call.pk) for call in calls]
    case.cost_usd = _cost(calls)
    release_connection()
    return _record(plan, case, scores, link)


def _record(plan: Plan, case: RunCase, scores: list[Score], link: CaseLink) -> Outcome:
    """The case's one transaction: its charges, the case, its scores; or nothing at all."""
    try:
        with transaction.atomic():
            if not _holds_claim(plan):
                raise _ClaimLost
            for charge in link.charges:
                charge.write()
            case.save(force_insert=True)
            for score in scores:
                score.case = case
            Score.objects.bulk_create(scores)
    except IntegrityError:
        # Finished already (by an attempt that raced this one): never graded or charged twice.
        logger.warning(
            "case %s#%s of run %s was finished already", case.item_key, case.repeat, plan.run.pk
        )
        _release(link)
        return Outcome(recorded=False)
    except _ClaimLost:
        logger.warning("run %s: attempt %s lost its job; case dropped", plan.run.pk, plan.attempt)
        _release(link)
        return Outcome(recorded=False, claim_lost=True)
    return Outcome(recorded=True, failed=case.status == RunCase.Status.FAILED)


def _case_in_thread(plan: Plan, item: DatasetItem, repeat: int) -> Outcome:
    try:
        return run_case(plan, item, repeat)
    finally:
        # Pool threads end with the run: leave no connection open behind them.
        connections.close_all()


def plan_for(run: Run, ctx: JobContext) -> Plan:
    try:
        target = get_target(run.target)
    except LookupError:
        raise KeelError(
            f"The target “{run.target}” of this run is no longer available.", code="unknown_target"
        ) from None
    graders: list[tuple[GraderSpec, Grader | None]] = []
    for raw in run.graders:
        spec = GraderSpec.model_validate(raw)
        try:
            graders.append((spec, get_grader(spec.name)))
        except LookupError:
            graders.append((spec, None))
    return Plan(
        run=run,
        target=target,
        config=RunConfig.model_validate(run.config),
        graders=graders,
        attempt=ctx.job.attempts,
        should_stop=ctx.is_cancelled,
    )


def _progress(finished: int, total: int) -> int:
    # 100 % is written when the job succeeds; while cases remain the bar stops short of it.
    return min(99, int(100 * finished / total)) if total else 0


def execute(run: Run, ctx: JobContext) -> dict[str, Any]:
    """Run every unfinished case of `run`; returns the job's result."""
    plan = plan_for(run, ctx)
    if ctx.job.started_at is not None and ctx.job.attempts > 1:
        # An earlier attempt died mid-call: what it reserved for calls never charged is held.
        gateway.release_job_reservations(run.job_id, created_before=ctx.job.started_at)
    items = list(DatasetItem.objects.filter(version_id=run.dataset_version_id).order_by("position"))
    finished = set(RunCase.objects.filter(run=run).values_list("item_id", "repeat"))
    pending = deque(
        (item, repeat)
        for item in items
        for repeat in range(run.repeats)
        if (item.pk, repeat) not in finished
    )
    done = len(finished)
    total = run.case_count or len(items) * run.repeats
    ctx.set_progress(_progress(done, total))
    release_connection()
    written = 0
    stop: KeelError | None = None
    crash: Exception | None = None
    cancelled = claim_lost = False
    width = max(1, min(run.concurrency, len(pending)))

    def land(outcome: Outcome) -> None:
        nonlocal written, done, stop, claim_lost
        if outcome.recorded:
            written += 1
            done += 1
        stop = stop or outcome.stop
        claim_lost = claim_lost or outcome.claim_lost
        ctx.set_progress(_progress(done, total))

    def stopping() -> bool:
        return bool(stop or crash or cancelled or claim_lost)

    if width == 1:
        # One at a time: in the job's own thread (and connection), no pool.
        while pending and not stopping():
            item, repeat = pending.popleft()
            land(run_case(plan, item, repeat))
            cancelled = ctx.is_cancelled()
    else:
        in_flight: set[Future[Outcome]] = set()
        with ThreadPoolExecutor(width, thread_name_prefix=f"eval-{run.pk.hex[:8]}") as pool:
            while pending or in_flight:
                # New cases start only while nothing asked to stop; those in flight always land.
                while pending and len(in_flight) < width and not stopping():
                    item, repeat = pending.popleft()
                    # In the run's context, so the case's spans land in the run's trace.
                    in_flight.add(
                        pool.submit(
                            contextvars.copy_context().run, _case_in_thread, plan, item, repeat
                        )
                    )
                if not in_flight:
                    break
                landed, in_flight = wait(in_flight, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in landed:
                    try:
                        land(future.result())
                    except Exception as exc:  # the database went away, say: stop, then raise
                        logger.exception("run %s: a case could not be written", run.pk)
                        crash = crash or exc
                cancelled = cancelled or ctx.is_cancelled()
    if crash is not None:
        raise crash
    if cancelled:
        raise JobCancelled
    if stop is not None:
        raise stop
    failed_total = RunCase.objects.filter(run=run, status=RunCase.Status.FAILED).count()
    release_connection()
    return {"cases": done, "case_count": total, "written": written, "failed": failed_total}
