"""Runs: submitted with everything checked, executed with many cases in flight, each case finished,
graded and charged once, through cancel, resume and a worker that died.

Transactional tests: cases run in pool threads, which have database connections of their own.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.evals import runs, selectors
from product.evals.errors import EvalError
from product.evals.models import Run, RunCase, Score
from product.evals.registry import GradeContext, GraderSpec, RunConfig
from product.evals.tests import run_helpers
from product.evals.tests.run_helpers import ask_row, edit_item, make_version
from product.jobs import services as job_services
from product.jobs.models import Job
from product.llm import quotas
from product.llm.models import BudgetReservation, LLMCall, WorkspaceBudget

pytestmark = [
    pytest.mark.usefixtures("devmodel_llm"),
    pytest.mark.django_db(transaction=True),
]

HAS_REFERENCE = GraderSpec(name="test_has_reference")
# Several cases in flight, so the runner's threads write at once on both databases.
IN_FLIGHT = 4


def _submit(acme: Workspace, alice: User, version: Any, **kwargs: Any) -> Run:
    kwargs.setdefault("graders", [HAS_REFERENCE])
    kwargs.setdefault("config", RunConfig())
    return runs.submit_run(workspace=acme, user=alice, dataset_version=version, **kwargs)


def _rows(n: int) -> list[dict[str, Any]]:
    return [ask_row(f"[[reply: Answer {i} is here.]] Text {i}.", f"Answer {i}") for i in range(n)]


def test_it_runs_every_case_once_grades_it_and_charges_it(
    alice: User, acme: Workspace, settings: Any
) -> None:
    version = make_version(acme, alice, _rows(5))
    run = _submit(acme, alice, version, repeats=2, concurrency=IN_FLIGHT, name="Baseline")
    assert (run.case_count, run.prompt_name, run.prompt_version) == (10, "ask.once", "1")
    assert run.job.kind == "evals.run" and run.job.queue == "llm"

    run = runs.execute_run_inline(run)
    assert run.job.status == Job.Status.SUCCEEDED, run.job.error_message
    assert run.job.progress == 100
    assert run.job.result == {"cases": 10, "case_count": 10, "written": 10, "failed": 0}
    cases = list(selectors.cases_of(run))
    assert [(c.item.position, c.repeat) for c in cases] == [
        (i, r) for i in range(5) for r in (0, 1)
    ]
    for case in cases:
        assert case.status == RunCase.Status.DONE
        assert case.output == f"Answer {case.item.position} is here."
        [score] = case.scores.all()
        assert (score.grader, score.value, score.passed) == ("test_has_reference", 1.0, True)
        assert case.input_tokens > 0 and case.output_tokens > 0
        assert case.latency_ms is not None
        [call_id] = case.call_ids
        call = LLMCall.objects.get(pk=call_id)
        assert (call.job_id, call.prompt_version, call.user_id) == (run.job_id, "1", None)
        assert case.cost_usd == call.cost_usd
    # One ledger row per case, and every reservation the gateway took settled once.
    assert LLMCall.objects.filter(job_id=run.job_id).count() == 10
    statuses = list(BudgetReservation.objects.values_list("status", flat=True))
    assert statuses == [BudgetReservation.Status.SETTLED] * 10


def test_it_sends_the_chosen_prompt_version(alice: User, acme: Workspace) -> None:
    # The dev model's `expect` marker fails the call unless the prompt says so.
    version = make_version(acme, alice, [ask_row("[[expect: in one sentence]] Alpha. Beta.")])
    run = runs.execute_run_inline(
        _submit(acme, alice, version, config=RunConfig(prompt_version="2"))
    )
    [case] = run.cases.all()
    assert case.status == RunCase.Status.DONE, case.error_message
    assert LLMCall.objects.get(job_id=run.job_id).prompt_version == "2"
    current = runs.execute_run_inline(_submit(acme, alice, version))
    [case] = current.cases.all()
    assert case.status == RunCase.Status.FAILED
    assert "does not contain 'in one sentence'" in case.error_message


def test_an_edit_during_a_run_does_not_change_its_cases(alice: User, acme: Workspace) -> None:
    version = make_version(acme, alice, _rows(4))
    edited: list[Any] = []

    def edit_once(ctx: GradeContext) -> None:
        # The dataset changes while the run is half way: a new version, the run's is untouched.
        with run_helpers.calls_lock:
            if not edited:
                edited.append(
                    edit_item(version, 3, input={"task": "summarise", "text": "[[reply: New]] x"})
                )

    run_helpers.hooks["has_reference"] = edit_once
    try:
        run = runs.execute_run_inline(_submit(acme, alice, version, concurrency=1))
    finally:
        run_helpers.hooks.clear()
    [newer] = edited
    assert newer.number == 2
    assert run.dataset_version_id == version.pk
    outputs = [case.output for case in selectors.cases_of(run)]
    assert outputs == [f"Answer {i} is here." for i in range(4)]
    assert {case.item.version_id for case in run.cases.select_related("item")} == {version.pk}
    # Re-running it runs the same version again, not the dataset's newest.
    again = runs.execute_run_inline(runs.rerun(run=run, user=alice))
    assert again.dataset_version_id == version.pk
    assert [case.output for case in selectors.cases_of(again)] == outputs


def test_unscored_cases_are_counted_apart_never_as_zero(alice: User, acme: Workspace) -> None:
    version = make_version(acme, alice, _rows(2))
    graders = [
        HAS_REFERENCE,
        GraderSpec(name="test_unscored"),
        GraderSpec(name="test_crashes"),
        GraderSpec(name="test_length", params={"max_words": 3}),
    ]
    run = runs.execute_run_inline(_submit(acme, alice, version, graders=graders))
    assert run.job.status == Job.Status.SUCCEEDED
    for case in run.cases.all():
        scores = {score.grader: score for score in case.scores.all()}
        assert scores["test_has_reference"].value == 1.0
        unscored = scores["test_unscored"]
        assert (unscored.unscored, unscored.value, unscored.passed) == (True, None, None)
        assert unscored.explanation == "There is nothing to compare with."
        crashed = scores["test_crashes"]
        assert (crashed.unscored, crashed.value) == (True, None)
        assert crashed.explanation == "The grader failed: RuntimeError: boom"
        length = scores["test_length"]
        assert (length.value, length.passed, length.explanation) == (
            0.0,
            False,
            "4 words (limit 3).",
        )


def test_a_failing_target_fails_its_case_and_skips_its_graders(
    alice: User, acme: Workspace, settings: Any
) -> None:
    settings.LLM_MAX_RETRIES = 0
    key = uuid.uuid4().hex
    rows = [
        ask_row("[[reply: Answer 0.]] fine", "Answer 0"),
        ask_row(f"[[fail_times: 5 status=400 key={key}]] rejected", "x"),
        {"input": {"task": "custom", "text": "no instruction"}},
    ]
    run = runs.execute_run_inline(_submit(acme, alice, make_version(acme, alice, rows)))
    assert run.job.status == Job.Status.SUCCEEDED
    assert run.job.result is not None and run.job.result["failed"] == 2
    ok, rejected, invalid = selectors.cases_of(run)
    assert ok.status == RunCase.Status.DONE
    assert (rejected.status, rejected.error_code) == (RunCase.Status.FAILED, "provider_rejected")
    assert "rejected the request" in rejected.error_message
    assert not rejected.scores.exists()
    [failed_call] = rejected.call_ids
    assert LLMCall.objects.get(pk=failed_call).status == LLMCall.Status.FAILED
    assert (invalid.status, invalid.error_code) == (RunCase.Status.FAILED, "invalid_input")
    assert "custom task needs an instruction" in invalid.error_message
    # The rejected call's reservation was given back; the answered one settled.
    assert sorted(BudgetReservation.objects.values_list("status", flat=True)) == [
        BudgetReservation.Status.RELEASED,
        BudgetReservation.Status.SETTLED,
    ]


def test_it_checks_everything_before_storing_anything(
    alice: User, acme: Workspace, charlie: User
) -> None:
    version = make_version(acme, alice, _rows(1))
    empty = make_version(acme, alice, [], name="Empty")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"config": RunConfig(prompt_version="9")}, "has no prompt version '9'"),
        ({"graders": []}, "at least one grader"),
        ({"graders": [GraderSpec(name="nope")]}, "no grader named “nope”"),
        ({"graders": [HAS_REFERENCE, HAS_REFERENCE]}, "listed twice"),
        ({"graders": [GraderSpec(name="test_length", params={"max": 1})]}, "has no param 'max'"),
        ({"repeats": 0}, "Repeats must be between 1 and 10"),
        ({"repeats": 11}, "Repeats must be between 1 and 10"),
        ({"concurrency": 0}, "Concurrency must be between 1 and 256"),
    ]
    for kwargs, message in cases:
        with pytest.raises(EvalError, match=message):
            _submit(acme, alice, version, **kwargs)
    with pytest.raises(EvalError, match="has no items"):
        _submit(acme, alice, empty)
    theirs = Workspace.objects.get(name="Charlie's corner")
    with pytest.raises(EvalError, match="No such dataset"):
        runs.submit_run(
            workspace=theirs,
            user=charlie,
            dataset_version=version,
            config=RunConfig(),
            graders=[HAS_REFERENCE],
        )
    grounded = make_version(
        acme, alice, [{"input": {"question": "q"}}], target="knowledge.answer", name="G"
    )
    with pytest.raises(EvalError, match="answers from a collection"):
        _submit(acme, alice, grounded)
    assert not Run.objects.exists() and not Job.objects.exists()


def test_cancel_stops_between_cases_and_resume_finishes_without_repeating_one(
    alice: User, acme: Workspace
) -> None:
    version = make_version(acme, alice, _rows(6))
    run = _submit(acme, alice, version, concurrency=1)

    def cancel_on_first(ctx: GradeContext) -> None:
        with run_helpers.calls_lock:
            if len(run_helpers.grader_calls) == 1:
                runs.cancel_run(run=run, user=alice)
                time.sleep(0.3)  # the job reads its cancel flag at most every 250 ms

    run_helpers.grader_calls.clear()
    run_helpers.hooks["has_reference"] = cancel_on_first
    try:
        run = runs.execute_run_inline(run)
    finally:
        run_helpers.hooks.clear()
    assert run.job.status == Job.Status.CANCELLED
    stopped_at = run.cases.count()
    assert 1 <= stopped_at < 6, "the case in flight landed, no new one started"

    runs.resume_run(run=run, user=alice)
    assert run.job.status == Job.Status.QUEUED
    run = runs.execute_run_inline(run)
    assert run.job.status == Job.Status.SUCCEEDED
    keys = list(run.cases.values_list("item_key", "repeat"))
    assert len(keys) == len(set(keys)) == 6
    assert len(run_helpers.grader_calls) == 6, "no case was graded twice"
    assert LLMCall.objects.filter(job_id=run.job_id, status=LLMCall.Status.SUCCEEDED).count() == 6
    with pytest.raises(EvalError, match="nothing to resume"):
        runs.resume_run(run=run, user=alice)


def test_a_queued_run_cancels_at_once(alice: User, acme: Workspace) -> None:
    run = _submit(acme, alice, make_version(acme, alice, _rows(2)))
    runs.cancel_run(run=run, user=alice)
    assert run.job.status == Job.Status.CANCELLED
    run = runs.execute_run_inline(run)
    assert not run.cases.exists()


def test_after_a_worker_died_the_reaper_reruns_only_unfinished_cases(
    alice: User, acme: Workspace, settings: Any
) -> None:
    version = make_version(acme, alice, _rows(4))
    run = _submit(acme, alice, version)
    # The first attempt claimed the job, finished two cases, and died holding a reservation for
    # a call whose answer was never charged.
    job = run.job
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, attempts=1, started_at=timezone.now() - timedelta(minutes=5)
    )
    for item in version.items.order_by("position")[:2]:
        RunCase.objects.create(
            run=run, item=item, item_key=item.key, status=RunCase.Status.DONE, output="earlier"
        )
    orphan = quotas.reserve(
        workspace=acme,
        user=None,
        feature="ask.once",
        job_id=job.pk,
        messages=[{"role": "user", "content": "x"}],
    )
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert job_services.reap_stale_jobs() == 1
    run = runs.execute_run_inline(run)
    assert (run.job.status, run.job.attempts) == (Job.Status.SUCCEEDED, 2)
    outputs = [case.output for case in selectors.cases_of(run)]
    assert outputs == ["earlier", "earlier", "Answer 2 is here.", "Answer 3 is here."]
    orphan.refresh_from_db()
    assert orphan.status == BudgetReservation.Status.RELEASED
    assert LLMCall.objects.filter(job_id=run.job_id).count() == 2


def test_a_run_stops_when_the_budget_runs_out_and_resumes_later(
    alice: User, acme: Workspace
) -> None:
    budget = WorkspaceBudget.objects.create(workspace=acme, monthly_budget_usd=0)
    run = runs.execute_run_inline(_submit(acme, alice, make_version(acme, alice, _rows(3))))
    assert run.job.status == Job.Status.FAILED
    assert "used its AI budget" in run.job.error_message
    assert not run.cases.exists()
    budget.monthly_budget_usd = 100
    budget.save()
    runs.resume_run(run=run, user=alice)
    run = runs.execute_run_inline(run)
    assert run.job.status == Job.Status.SUCCEEDED
    assert run.cases.count() == 3


def test_a_case_is_written_once_even_when_two_attempts_race(alice: User, acme: Workspace) -> None:
    from product.evals import runner
    from product.jobs.registry import JobContext

    version = make_version(acme, alice, _rows(1))
    run = _submit(acme, alice, version)
    Job.objects.filter(pk=run.job_id).update(status=Job.Status.RUNNING, attempts=1)
    run.job.refresh_from_db()
    plan = runner.plan_for(run, JobContext(job=run.job))
    item = version.items.get()
    first = runner.run_case(plan, item, 0)
    second = runner.run_case(plan, item, 0)
    assert (first.recorded, second.recorded) == (True, False)
    assert RunCase.objects.count() == 1 and Score.objects.count() == 1
    # The second answer was neither ledgered nor left holding budget.
    assert LLMCall.objects.filter(status=LLMCall.Status.SUCCEEDED).count() == 1
    assert sorted(BudgetReservation.objects.values_list("status", flat=True)) == [
        BudgetReservation.Status.RELEASED,
        BudgetReservation.Status.SETTLED,
    ]


def test_another_workspace_cannot_see_a_run(
    alice: User, acme: Workspace, bob: User, charlie: User
) -> None:
    run = _submit(acme, alice, make_version(acme, alice, _rows(1)))
    assert selectors.get_run_for_user(bob, run.pk) == run
    with pytest.raises(Http404):
        selectors.get_run_for_user(charlie, run.pk)
    with pytest.raises(Http404):
        selectors.get_run_for_user(
            alice, run.pk, workspace=Workspace.objects.get(name="Charlie's corner")
        )
    with pytest.raises(Http404):
        selectors.get_dataset_for_user(charlie, run.dataset_version.dataset_id)
