"""The job lifecycle rules: claim once, heartbeat, write once, cancel, retry, reap."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from product.accounts.models import User
from product.jobs import services, tasks
from product.jobs.models import Job
from product.jobs.tests import handlers_for_tests

MakeJob = Callable[..., Job]


@pytest.mark.django_db(transaction=True)
def test_it_claims_a_job_once_under_a_double_delivery(make_job: MakeJob) -> None:
    job = make_job(input={"text": "once", "sleep": 0.3})
    start = threading.Barrier(4)

    def deliver() -> None:
        start.wait()
        services.run_job(job.pk)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert handlers_for_tests.calls == [str(job.pk)]
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.attempts == 1
    assert job.result == {"echo": "once"}


@pytest.mark.django_db
def test_it_does_not_run_a_finished_job_again(make_job: MakeJob) -> None:
    job = make_job()
    services.run_job(job.pk)
    services.run_job(job.pk)  # a late redelivery
    assert handlers_for_tests.calls == [str(job.pk)]
    job.refresh_from_db()
    assert (job.status, job.progress, job.attempts) == (Job.Status.SUCCEEDED, 100, 1)
    assert job.started_at is not None and job.finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_it_touches_the_heartbeat_and_flushes_progress_while_running(
    make_job: MakeJob, settings: Any
) -> None:
    settings.JOB_HEARTBEAT_EVERY_S = 0.1
    job = make_job(kind="test.progress", input={"steps": 8, "sleep": 0.1})
    seen: list[tuple[Any, int]] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            row = Job.objects.filter(pk=job.pk).values("heartbeat_at", "progress", "status").get()
            if row["status"] == Job.Status.RUNNING:
                seen.append((row["heartbeat_at"], row["progress"]))
            time.sleep(0.05)
        connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    services.run_job(job.pk)
    done.set()
    watcher.join()

    heartbeats = {beat for beat, _ in seen}
    assert len(heartbeats) >= 3, "the heartbeat should move several times in ~0.8 s"
    assert any(0 < progress < 100 for _, progress in seen)
    job.refresh_from_db()
    assert job.progress == 100


@pytest.mark.django_db
def test_it_fails_with_the_readable_message_of_a_provider_error(make_job: MakeJob) -> None:
    job = make_job(kind="test.fail", input={"how": "provider"})
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error_code == "provider_error"
    assert "unavailable right now" in job.error_message


@pytest.mark.django_db
def test_it_hides_a_crash_behind_a_generic_message(make_job: MakeJob) -> None:
    job = make_job(kind="test.fail", input={"how": "crash"})
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error_code == "internal_error"
    assert "sk-" not in job.error_message
    assert job.error_message == services.GENERIC_ERROR


@pytest.mark.django_db
def test_it_goes_back_to_the_queue_for_a_long_retry_after(make_job: MakeJob) -> None:
    job = make_job(kind="test.fail", input={"how": "provider_later"})
    with pytest.raises(services.RetryLater) as later:
        services.run_job(job.pk)
    assert later.value.countdown == 300
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert job.retry_at is not None
    assert 290 < (job.retry_at - timezone.now()).total_seconds() <= 300
    assert "retrying in 300 s" in job.error_message

    # A copy of the message delivered early cannot jump the countdown.
    services.run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.QUEUED, 1)


@pytest.mark.django_db
def test_a_countdown_retry_keeps_its_trace_open(make_job: MakeJob) -> None:
    from product.observability.models import Span, Trace

    job = make_job(kind="test.fail", input={"how": "provider_later"})
    with pytest.raises(services.RetryLater):
        services.run_job(job.pk)
    job.refresh_from_db()
    trace = Trace.objects.get(trace_id=job.trace_id)
    assert (trace.status, trace.ended_at) == (Trace.Status.RUNNING, None)
    [attempt] = Span.objects.filter(trace_id=job.trace_id, kind=Span.Kind.JOB)
    assert attempt.status == Span.Status.OK  # this attempt ended as planned: come back later


@pytest.mark.django_db
def test_it_gives_up_on_retry_after_when_attempts_are_spent(make_job: MakeJob) -> None:
    job = make_job(kind="test.fail", input={"how": "provider_later"}, max_attempts=1)
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error_code == "provider_error"


@pytest.mark.django_db
def test_the_task_turns_retry_later_into_a_celery_retry_with_that_countdown(
    make_job: MakeJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = make_job(kind="test.fail", input={"how": "provider_later"})
    asked: dict[str, Any] = {}

    class Retried(Exception):
        pass

    def fake_retry(**kwargs: Any) -> Exception:
        asked.update(kwargs)
        return Retried()

    monkeypatch.setattr(tasks.run_job, "retry", fake_retry)
    with pytest.raises(Retried):
        tasks.run_job.run(str(job.pk))
    assert asked["countdown"] == 300


@pytest.mark.django_db
def test_it_cancels_a_queued_job_at_once(make_job: MakeJob, alice: User) -> None:
    job = make_job()
    services.cancel_job(job=job, user=alice)
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert job.finished_at is not None
    services.run_job(job.pk)  # its message arrives later: nothing runs
    assert handlers_for_tests.calls == []


@pytest.mark.django_db(transaction=True)
def test_it_stops_a_running_job_when_cancelled(make_job: MakeJob, alice: User) -> None:
    job = make_job(kind="test.wait_for_cancel", input={"timeout": 10})
    runner = threading.Thread(target=services.run_job, args=(job.pk,))
    started = time.monotonic()
    runner.start()
    deadline = started + 5
    while Job.objects.get(pk=job.pk).status != Job.Status.RUNNING:
        assert runner.is_alive(), "the runner stopped before the job was running"
        assert time.monotonic() < deadline, "the job did not start running within 5 s"
        time.sleep(0.01)
    services.cancel_job(job=Job.objects.get(pk=job.pk), user=alice)
    runner.join(timeout=5)
    assert not runner.is_alive()
    assert time.monotonic() - started < 3
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert job.cancel_requested


@pytest.mark.django_db
def test_it_retries_a_failed_job_as_a_fresh_run(
    make_job: MakeJob, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    job = make_job(kind="test.fail", input={"how": "provider"})
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.can_retry
    with django_capture_on_commit_callbacks() as callbacks:
        services.retry_job(job=job, user=alice)
    assert len(callbacks) == 1, "the retried job is enqueued once, on commit"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error_message) == (Job.Status.QUEUED, 0, "")


@pytest.mark.django_db
def test_it_does_not_retry_a_job_that_succeeded(make_job: MakeJob, alice: User) -> None:
    job = make_job()
    services.run_job(job.pk)
    job.refresh_from_db()
    services.retry_job(job=job, user=alice)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert handlers_for_tests.calls == [str(job.pk)]


def _stale(seconds: int = 3600) -> Any:
    return timezone.now() - timedelta(seconds=seconds)


@pytest.mark.django_db
def test_the_reaper_requeues_a_job_whose_worker_died(
    make_job: MakeJob, django_capture_on_commit_callbacks: Any
) -> None:
    job = make_job(status=Job.Status.RUNNING, attempts=1, heartbeat_at=_stale())
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.reap_stale_jobs() == 1
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    services.run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.SUCCEEDED, 2)


@pytest.mark.django_db
def test_the_reaper_fails_a_job_after_its_attempts_with_a_clear_message(
    make_job: MakeJob,
) -> None:
    job = make_job(status=Job.Status.RUNNING, attempts=3, max_attempts=3, heartbeat_at=_stale())
    services.reap_stale_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error_code == "worker_lost"
    assert job.error_message.startswith("The worker stopped while running this job 3 times")


@pytest.mark.django_db
def test_the_reaper_requeues_a_queued_job_the_broker_lost(
    make_job: MakeJob, django_capture_on_commit_callbacks: Any
) -> None:
    job = make_job(enqueued_at=_stale())
    with django_capture_on_commit_callbacks() as callbacks:
        services.reap_stale_jobs()
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.enqueued_at is not None
    assert (timezone.now() - job.enqueued_at).total_seconds() < 5


@pytest.mark.django_db
def test_the_reaper_leaves_live_and_waiting_jobs_alone(
    make_job: MakeJob, django_capture_on_commit_callbacks: Any
) -> None:
    make_job(status=Job.Status.RUNNING, attempts=1, heartbeat_at=timezone.now())
    make_job(enqueued_at=timezone.now())
    make_job(enqueued_at=_stale(), retry_at=timezone.now() + timedelta(seconds=60))
    make_job(status=Job.Status.SUCCEEDED, heartbeat_at=_stale())
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.reap_stale_jobs() == 0
    assert callbacks == []


@pytest.mark.django_db
def test_the_reaper_finishes_a_cancelled_job_whose_worker_died(make_job: MakeJob) -> None:
    job = make_job(
        status=Job.Status.RUNNING, attempts=1, heartbeat_at=_stale(), cancel_requested=True
    )
    services.reap_stale_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED


@pytest.mark.django_db
def test_a_late_worker_cannot_overwrite_the_result_of_a_newer_attempt(make_job: MakeJob) -> None:
    job = make_job()
    services.run_job(job.pk)
    job.refresh_from_db()
    # The first attempt's worker comes back from the dead and tries to write its outcome.
    job.attempts = 0
    assert not services._finish(job, services._Ending(Job.Status.FAILED), progress=0)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_it_shows_progress_every_second_between_slower_heartbeats(
    make_job: MakeJob, settings: Any
) -> None:
    settings.JOB_HEARTBEAT_EVERY_S = 60
    job = make_job(kind="test.progress", input={"steps": 10, "sleep": 0.25})
    seen: set[int] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.add(Job.objects.filter(pk=job.pk).values_list("progress", flat=True).get())
            time.sleep(0.05)
        connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    services.run_job(job.pk)
    done.set()
    watcher.join()
    assert len({p for p in seen if 0 < p < 100}) >= 1, seen


# --- the ending transaction: the charge, the feature's outcome and the job, together ---------


def _answer_job(make_job: MakeJob, alice: User, acme: Any, **input: Any) -> Job:
    from product.llm import quotas

    reservation = quotas.reserve(workspace=acme, user=alice, feature="test.answer", messages=[])
    return make_job(
        kind="test.answer", input={"text": "[[reply: Answered]]", **input}, reservation=reservation
    )


@pytest.mark.django_db
def test_it_charges_the_call_writes_the_outcome_and_finishes_together(
    devmodel_llm: str, make_job: MakeJob, alice: User, acme: Any
) -> None:
    from product.llm.models import LLMCall

    job = _answer_job(make_job, alice, acme)
    services.run_job(job.pk)
    job.refresh_from_db()
    call = LLMCall.objects.get(job=job)
    assert job.status == Job.Status.SUCCEEDED and job.result == {"call_id": str(call.pk)}
    assert call.status == LLMCall.Status.SUCCEEDED
    acme.refresh_from_db()
    assert acme.name == "Answered"
    assert job.reservation is not None
    job.reservation.refresh_from_db()
    assert (job.reservation.status, job.reservation.actual_usd) == ("settled", call.cost_usd)


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: nothing after it runs, and the open transaction is rolled back."""


@pytest.mark.django_db
def test_a_worker_killed_after_the_ledger_insert_leaves_no_charge(
    devmodel_llm: str, make_job: MakeJob, alice: User, acme: Any, monkeypatch: Any
) -> None:
    from product.llm.models import LLMCall

    job = _answer_job(make_job, alice, acme)

    def kill(_job: Job) -> None:
        assert LLMCall.objects.filter(job=job).count() == 1  # inserted, not committed
        raise WorkerKilled

    monkeypatch.setattr(services, "_pause_at_fault_point", kill)
    with pytest.raises(WorkerKilled):
        services.run_job(job.pk)

    # What the reaper then finds: a running job, no charge, the budget still held for the re-run.
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.result is None
    assert not LLMCall.objects.filter(job=job).exists()
    assert job.reservation is not None and job.reservation.status == "reserved"
    acme.refresh_from_db()
    assert acme.name != "Answered"


@pytest.mark.django_db
def test_an_attempt_that_lost_its_claim_ledgers_the_call_but_finishes_nothing(
    devmodel_llm: str, make_job: MakeJob, alice: User, acme: Any
) -> None:
    from product.llm.models import LLMCall

    job = _answer_job(make_job, alice, acme, lose_claim=True)
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING, "the attempt holding the claim finishes it"
    assert LLMCall.objects.filter(job=job).count() == 1, "the call happened: it is ledgered"
    assert job.reservation is not None and job.reservation.status == "reserved"
    acme.refresh_from_db()
    assert acme.name != "Answered"


@pytest.mark.django_db
def test_an_outcome_that_cannot_be_written_fails_the_job_but_keeps_the_charge(
    devmodel_llm: str, make_job: MakeJob, alice: User, acme: Any
) -> None:
    from product.llm.models import LLMCall

    job = _answer_job(make_job, alice, acme, outcome_fails=True)
    services.run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error_code) == (Job.Status.FAILED, "internal_error")
    assert job.error_message == services.GENERIC_ERROR_AFTER_CALL
    call = LLMCall.objects.get(job=job)
    assert job.reservation is not None
    assert (job.reservation.status, job.reservation.actual_usd) == ("settled", call.cost_usd)
