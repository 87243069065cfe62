"""Chaos for evaluation runs: a worker SIGKILLed with cases in flight; the next one finishes the run.

Runs real `celery worker` processes (the jobs chaos module's machinery: the test database, the
session's dev model server, a Redis of the test's own, a fast reaper). A run of 60 Ask once cases,
each answered in 0.6 s and graded by `contains` and the LLM judge (a second model call per case),
8 in flight; the worker is killed once some cases have landed. The next worker's reaper re-runs
the job; it skips the finished cases. Then every case exists once with its two scores, the ledger
holds exactly one answering row per model call of a finished case (the killed calls were never
charged: their rows were to be written with the case), every reservation those calls took is
settled once, and what the killed attempt held is released, not left reserving budget.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from celery import Celery
from django.db import connection

from product.accounts.models import User, Workspace
from product.evals import runs
from product.evals.models import Run, RunCase, Score
from product.evals.registry import GraderSpec, RunConfig
from product.evals.tests.run_helpers import ask_row, make_version
from product.jobs.models import Job
from product.jobs.tests.test_chaos import (  # noqa: F401 (fixtures, found by name)
    ChaosWorkers,
    _wait_until,
    own_broker,
    own_redis,
    pytestmark,
    workers,
)
from product.llm.models import BudgetReservation, LLMCall

CASES = 60


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_leaves_no_case_graded_or_charged_twice(
    workers: ChaosWorkers,  # noqa: F811 (the fixtures imported above)
    own_broker: Celery,  # noqa: F811
    alice: User,
    acme: Workspace,
    settings: Any,
) -> None:
    first = workers.start("first")
    rows = [
        ask_row(f"[[ttft_ms: 600]] [[reply: Fact {n} holds.]] Text {n}.", f"Fact {n} holds.")
        for n in range(CASES)
    ]
    version = make_version(acme, alice, rows)
    run = runs.submit_run(
        workspace=acme,
        user=alice,
        dataset_version=version,
        config=RunConfig(),
        graders=[GraderSpec(name="contains"), GraderSpec(name="llm_judge")],
        concurrency=8,
    )
    connection.close()
    _wait_until(
        lambda: RunCase.objects.filter(run=run).count() >= 10,
        timeout=60,
        what="the first cases of the run",
    )
    workers.kill(first)
    landed = RunCase.objects.filter(run=run).count()
    assert landed < CASES, "the kill landed after the run finished"

    killed_at = time.monotonic()
    workers.start("second")
    _wait_until(
        lambda: Job.objects.get(pk=run.job_id).status == Job.Status.SUCCEEDED,
        timeout=120,
        what="the run to finish after the restart",
    )
    print(
        f"\nworker killed with {landed}/{CASES} cases done: finished {time.monotonic() - killed_at:.1f} s later"
    )
    run = Run.objects.select_related("job").get(pk=run.pk)
    assert run.job.attempts == 2
    assert run.job.result is not None and run.job.result["cases"] == CASES

    cases = list(RunCase.objects.filter(run=run))
    assert len(cases) == CASES
    assert len({(case.item_id, case.repeat) for case in cases}) == CASES, "no case twice"
    assert all(case.status == RunCase.Status.DONE for case in cases)
    graded = Counter(Score.objects.filter(case__run=run).values_list("case_id", flat=True))
    assert set(graded.values()) == {2}, "each case graded once by each grader"
    assert not Score.objects.filter(case__run=run, unscored=True).exists()

    # Ledger: two answering rows per case (Ask once, the judge), each named by its case once.
    answered = LLMCall.objects.filter(job_id=run.job_id, status=LLMCall.Status.SUCCEEDED)
    assert answered.count() == 2 * CASES, "nothing of the killed cases was charged"
    named = Counter(call_id for case in cases for call_id in case.call_ids)
    assert set(named.values()) == {1}
    assert {str(pk) for pk in answered.values_list("pk", flat=True)} == set(named)
    for case in cases:
        total = sum(call.cost_usd or 0 for call in LLMCall.objects.filter(pk__in=case.call_ids))
        assert case.cost_usd == total

    # Reservations: one settled per charged call; what the killed attempt held is released.
    reservations = BudgetReservation.objects.filter(job_id=run.job_id)
    statuses = Counter(reservations.values_list("status", flat=True))
    assert statuses[BudgetReservation.Status.SETTLED] == 2 * CASES
    assert statuses[BudgetReservation.Status.RESERVED] == 0, "nothing left holding budget"
    assert statuses[BudgetReservation.Status.RELEASED] >= 1, "the killed calls' holds came back"
    assert "released" in workers.log("second")
