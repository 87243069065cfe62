"""Writes for jobs: submit, claim and run, cancel, retry, reap.

The database row is the truth and every status change is a conditional UPDATE, so that a second
delivery of a message, a reaper and a worker that comes back from the dead can all race and still
leave one result: only the attempt that claimed a job (queued -> running, attempts + 1) may finish
it (running -> succeeded | failed | cancelled, where attempts still equals its attempt).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from product.accounts.models import User, Workspace
from product.core import metrics, tracing
from product.core.db import release_connection
from product.core.errors import KeelError
from product.core.resilience import REDIS_DOWN, quietly
from product.jobs.models import Job
from product.jobs.registry import (
    JobCancelled,
    JobContext,
    beater,
    cancel_cache_key,
    get_handler,
    get_messages_builder,
)
from product.llm import quotas
from product.llm.errors import CallCancelled, ProviderError
from product.llm.models import BudgetReservation

logger = logging.getLogger(__name__)

GENERIC_ERROR = (
    "Something went wrong on our side while running this job. It was not charged; you can retry it."
)
# The model answered (and is charged), but the feature could not store the answer.
GENERIC_ERROR_AFTER_CALL = (
    "Something went wrong on our side while saving this job's answer. You can retry it."
)


# What a refused enqueue raises: kombu wraps connection errors, a raw redis error may escape.
BROKER_DOWN: tuple[type[BaseException], ...] = (BrokerOperationalError, *REDIS_DOWN)


class RetryLater(Exception):  # noqa: N818 (an instruction to the task, not an error)
    """The job went back to the queue; the Celery task re-sends it after `countdown` seconds."""

    def __init__(self, countdown: float) -> None:
        super().__init__(f"retry in {countdown:.0f}s")
        self.countdown = countdown


def enqueue(job: Job, *, countdown: float | None = None) -> None:
    """Hand a job id to the broker once the current transaction commits (never before the row)."""
    # Imported when used: product.jobs.tasks imports this module at its top (a real cycle).
    from product.jobs.tasks import run_job as run_job_task

    job_id, queue = str(job.pk), job.queue

    def send() -> None:
        try:
            if countdown is None:
                run_job_task.apply_async((job_id,), queue=queue)
            else:
                run_job_task.apply_async((job_id,), queue=queue, countdown=countdown)
        except BROKER_DOWN:
            # The broker is away (kombu OperationalError, a redis ConnectionError): the job is
            # accepted all the same, because the row is the truth. A null enqueued_at tells the
            # reaper to send it on its next round instead of after JOB_STALE_AFTER_S.
            logger.warning("job %s not enqueued (broker unavailable); the reaper will", job_id)
            mark_not_enqueued(job_id)

    transaction.on_commit(send)


def mark_not_enqueued(job_id: str) -> None:
    try:
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(enqueued_at=None)
    except DatabaseError:
        # The database is away too: the old enqueued_at still gets it re-sent, only later.
        logger.exception("job %s: could not mark it for the reaper", job_id)


@transaction.atomic
def submit_job(
    *,
    workspace: Workspace,
    user: User | None,
    kind: str,
    input: dict[str, Any],  # noqa: A002 (the interface's name)
    reservation: BudgetReservation | None = None,
    queue: str = "llm",
    idempotency_key: str | None = None,
) -> Job:
    get_handler(kind)  # an unknown kind is a programming error: fail at submit, not in the worker
    # The job continues the trace of whatever submitted it (the request, or a job submitting
    # another), so its waterfall starts at the POST; a submit outside any trace starts one.
    trace_id, parent_span_id = tracing.current_ids()
    job = Job.objects.create(
        trace_id=trace_id or tracing.new_trace_id(),
        parent_span_id=parent_span_id,
        workspace=workspace,
        created_by=user,
        kind=kind,
        queue=queue,
        input=input,
        idempotency_key=idempotency_key,
        enqueued_at=timezone.now(),
        reservation=reservation,
    )
    tracing.keep(workspace_id=workspace.pk, user_id=user.pk if user else None, job_id=job.pk)
    enqueue(job)
    return job


def reserve_budget(
    *,
    workspace: Workspace,
    user: User,
    kind: str,
    input: dict[str, Any],  # noqa: A002
) -> BudgetReservation | None:
    """Check quotas and hold the estimate for a job of `kind` (raises QuotaExceeded, InputTooLarge)."""
    build = get_messages_builder(kind)
    if build is None:
        return None
    return quotas.reserve(
        workspace=workspace,
        user=user,
        feature=kind,
        messages=build(input),
        max_tokens=settings.LLM_MAX_OUTPUT_TOKENS,
    )


def _release_reservation(job: Job) -> None:
    """Give back budget held for a job that ends without a charge."""
    reservation = job.reservation
    if reservation is None:
        return
    if reservation.status == reservation.Status.RESERVED:
        quotas.release(reservation)


def cancel_job(*, job: Job, user: User) -> Job:
    """Queued: cancelled at once. Running: flagged; the handler sees it and stops."""
    now = timezone.now()
    cancelled = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.CANCELLED,
        cancel_requested=True,
        finished_at=now,
        error_code="cancelled",
        error_message=f"Cancelled by {user.display_name} before it started.",
    )
    if not cancelled:
        flagged = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
            cancel_requested=True
        )
        if flagged:
            # The running worker polls this flag between deltas (registry.JobContext.is_cancelled).
            # Without Redis the worker still sees the row's flag within a second (registry).
            quietly(
                "cancel flag",
                lambda: cache.set(cancel_cache_key(job.pk), 1, timeout=settings.JOB_STALE_AFTER_S),
                None,
            )
    job.refresh_from_db()
    if cancelled:
        _release_reservation(job)
    return job


def retry_job(*, job: Job, user: User) -> Job:
    """Put a failed or cancelled job back in the queue as a fresh run (same row, same page).

    Budget is reserved again first, so an over-quota user gets QuotaExceeded and nothing changes.
    """
    if not job.can_retry:
        return job
    reservation = reserve_budget(workspace=job.workspace, user=user, kind=job.kind, input=job.input)
    with transaction.atomic():
        updated = _requeue_for_retry(job, reservation)
    job.refresh_from_db()
    if updated:
        quietly("cancel flag", lambda: cache.delete(cancel_cache_key(job.pk)), None)
    elif reservation is not None:
        quotas.release(reservation)
    return job


def _requeue_for_retry(job: Job, reservation: BudgetReservation | None) -> bool:
    updated = Job.objects.filter(
        pk=job.pk, status__in=[Job.Status.FAILED, Job.Status.CANCELLED]
    ).update(
        status=Job.Status.QUEUED,
        attempts=0,
        progress=0,
        result=None,
        error_code="",
        error_message="",
        cancel_requested=False,
        retry_at=None,
        heartbeat_at=None,
        started_at=None,
        finished_at=None,
        enqueued_at=timezone.now(),
        reservation=reservation,
    )
    if updated:
        enqueue(job)
    return bool(updated)


def _claim(job_id: uuid.UUID | str) -> Job | None:
    now = timezone.now()
    claimed = (
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED, cancel_requested=False)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .update(
            status=Job.Status.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            heartbeat_at=now,
            retry_at=None,
        )
    )
    if not claimed:
        return None
    return Job.objects.select_related("workspace", "created_by", "reservation").get(pk=job_id)


@dataclass(frozen=True)
class _Ending:
    status: str
    result: dict[str, Any] | None = None
    error_code: str = ""
    error_message: str = ""


def _finish(job: Job, ending: _Ending, *, progress: int) -> bool:
    """Write the outcome once: only the attempt that holds the claim can."""
    fields: dict[str, Any] = {
        "status": ending.status,
        "finished_at": timezone.now(),
        "error_code": ending.error_code,
        "error_message": ending.error_message,
        "progress": 100 if ending.status == Job.Status.SUCCEEDED else progress,
    }
    if ending.result is not None:
        fields["result"] = ending.result
    written = Job.objects.filter(
        pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts
    ).update(**fields)
    return bool(written)


class _ClaimLost(Exception):  # noqa: N818 (internal control flow)
    """The job is no longer this attempt's to finish (the reaper gave it to another)."""


def _pause_at_fault_point(job: Job) -> None:
    """The chaos test's fault point (off unless KEEL_FAULT_PAUSE_IN_JOB_ENDING_S and DEBUG)."""
    pause = float(settings.JOB_FAULT_PAUSE_IN_ENDING_S)
    if pause > 0 and settings.DEBUG:
        logger.warning("fault point: job %s pauses %.1f s after its ledger insert", job.pk, pause)
        time.sleep(pause)


def _end(job: Job, ctx: JobContext, ending: _Ending, *, returned: bool) -> bool:
    """End the job in ONE transaction: charge its model calls, write the outcome, finish the job.

    The gateway deferred the answering call's ledger row and the reservation's settlement to
    `ctx.charges`; the handler's outcome rows are `ctx.finishers` (they run only if it returned).
    A worker killed before the commit leaves none of it: the reaper re-runs the job, and only
    that run is charged. An attempt that lost its claim still ledgers its calls (they happened)
    but settles nothing and finishes nothing. Returns whether this attempt finished the job.
    """
    try:
        with transaction.atomic():
            # The conditional UPDATE goes first: it proves this attempt still holds the claim and
            # locks the row until the commit, so the reaper (SKIP LOCKED) and a cancel wait for
            # this transaction, and an attempt that lost its claim writes nothing here. Inside
            # the transaction the order is invisible: all of it commits, or none.
            if not _finish(job, ending, progress=ctx.progress):
                raise _ClaimLost
            for charge in ctx.charges:
                charge.write()
            if ctx.charges:
                _pause_at_fault_point(job)
            if returned:
                for write in ctx.finishers:
                    write()
        return True
    except _ClaimLost:
        logger.warning("job %s attempt %s lost its claim; result dropped", job.pk, job.attempts)
        with transaction.atomic():
            for charge in ctx.charges:
                charge.write(settle=False)
        return False
    except (OperationalError, InterfaceError):
        # The database went away (a restart, a failover): nothing of the ending committed, so the
        # job is neither finished nor charged. It stays running with its heartbeat stopped and the
        # reaper re-runs it once the database is back; failing it here, on the next connection,
        # would lose a job to an outage (the Postgres chaos test, docs/operations.md).
        raise
    except Exception:
        if not returned:
            raise
        # The handler's outcome could not be written: the calls are still charged, the job fails.
        logger.exception("job %s (%s) could not write its outcome", job.pk, job.kind)
        failed = _Ending(Job.Status.FAILED, None, "internal_error", GENERIC_ERROR_AFTER_CALL)
        return _end(job, ctx, failed, returned=False)


def run_job(job_id: uuid.UUID | str) -> None:
    """Claim the job, run its handler with heartbeats, end it once (services._end).

    A second delivery finds the row claimed and returns. Raises RetryLater when the provider asked
    us to come back later than a worker should wait (the task turns it into a countdown retry).
    """
    job = _claim(job_id)
    if job is None:
        logger.info("job %s not claimable (already claimed, finished or waiting); skipping", job_id)
        release_connection()
        return
    if not job.trace_id:
        # A row from before traces (or made without submit_job): it gets one now, kept for its
        # later attempts.
        job.trace_id = tracing.new_trace_id()
        Job.objects.filter(pk=job.pk).update(trace_id=job.trace_id)
    with tracing.begin(
        kind=tracing.JOB,
        name=job.kind,
        feature=job.kind.split(".", 1)[0],
        trace_id=job.trace_id,
        parent_span_id=job.parent_span_id,
        workspace_id=job.workspace_id,
        user_id=job.created_by_id,
        job_id=job.pk,
        attributes={"keel.job.id": str(job.pk), "keel.job.attempt": job.attempts},
    ) as scope:
        assert job.started_at is not None
        tracing.record_span(
            tracing.QUEUE,
            f"queue {job.queue}",
            started_at=min(job.enqueued_at or job.created_at, job.started_at),
            ended_at=job.started_at,
        )
        _run_claimed(job, scope)


_TRACE_STATUS: dict[str, str] = {
    Job.Status.SUCCEEDED: tracing.OK,
    Job.Status.FAILED: tracing.ERROR,
    Job.Status.CANCELLED: tracing.CANCELLED,
}


def _run_claimed(job: Job, scope: tracing.TraceScope) -> None:
    ctx = JobContext(job=job)
    beater.add(ctx)
    release_connection()
    countdown: float | None = None
    returned = False
    try:
        try:
            result = get_handler(job.kind)(ctx)
            returned = True
        finally:
            beater.remove(ctx)
        if ctx.is_cancelled():
            ending = _Ending(Job.Status.CANCELLED, result, "cancelled", "Cancelled while running.")
        else:
            ending = _Ending(Job.Status.SUCCEEDED, result)
    except (JobCancelled, CallCancelled):
        ending = _Ending(Job.Status.CANCELLED, None, "cancelled", "Cancelled while running.")
    except ProviderError as exc:
        if exc.retry_after and job.attempts < job.max_attempts:
            countdown = float(exc.retry_after)
            ending = _Ending(Job.Status.QUEUED)
        else:
            ending = _Ending(Job.Status.FAILED, None, exc.code, exc.message)
    except KeelError as exc:
        # Any error of the product's own (a quota, a file that cannot be parsed, ...) fails the
        # job with its readable message; only unexpected exceptions get the generic one.
        ending = _Ending(Job.Status.FAILED, None, exc.code, exc.message)
    except Exception:
        logger.exception("job %s (%s) crashed", job.pk, job.kind)
        ending = _Ending(Job.Status.FAILED, None, "internal_error", GENERIC_ERROR)

    # The trace's root (the job's span) ends with the job's outcome; a countdown keeps it open.
    scope.status = _TRACE_STATUS.get(ending.status, "running")
    scope.error, scope.settled = ending.error_message, True
    if countdown is not None:
        with transaction.atomic():
            # Calls this attempt got answers for are ledgered; the reservation stays held for
            # the re-run, which settles it (settling here too would settle it twice).
            for charge in ctx.charges:
                charge.write(settle=False)
            requeued = Job.objects.filter(
                pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts
            ).update(
                status=Job.Status.QUEUED,
                retry_at=timezone.now() + timedelta(seconds=countdown),
                enqueued_at=timezone.now(),
                heartbeat_at=None,
                error_code="provider_busy",
                error_message=f"The model provider asked us to wait; retrying in {countdown:.0f} s.",
            )
        release_connection()
        if requeued:
            raise RetryLater(countdown)
        return
    if _end(job, ctx, ending, returned=returned):
        # Whatever was charged settled the reservation in the ending; whatever is still held
        # (a failure, a cancel, a success without a model call) is released: once, either way.
        # The claim loaded the reservation and the gateway settles that same object, so its
        # status in memory is the row's (a stale copy only costs a conditional UPDATE of 0 rows).
        _release_reservation(job)
        if ending.status == Job.Status.CANCELLED:
            quietly("cancel flag", lambda: cache.delete(cancel_cache_key(job.pk)), None)
    release_connection()


STALE_WORKER_MESSAGE = (
    "The worker stopped while running this job {attempts} times, so we gave up. "
    "It was not charged for the unfinished attempts; you can retry it."
)


def reap_stale_jobs() -> int:
    """Bring back what a dead worker or a flushed broker lost; fail what keeps dying.

    RUNNING with a heartbeat older than JOB_STALE_AFTER_S: the worker is gone. Back to the queue if
    it has attempts left, else FAILED with a message that says so. QUEUED and not picked up for that
    long (the broker lost its message): enqueue it again; a duplicate message is harmless because
    claiming is conditional. Returns how many jobs it touched.
    """
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.JOB_STALE_AFTER_S)
    touched = 0
    actions: dict[str, int] = dict.fromkeys(metrics.REAPER_ACTIONS_NAMES, 0)
    with transaction.atomic():
        dead = list(
            Job.objects.select_for_update(skip_locked=True).filter(
                status=Job.Status.RUNNING, heartbeat_at__lt=stale_before
            )[:500]
        )
        for job in dead:
            touched += 1
            if job.cancel_requested:
                job.status = Job.Status.CANCELLED
                job.error_code, job.error_message = "cancelled", "Cancelled while running."
                job.finished_at = now
                job.save(update_fields=["status", "error_code", "error_message", "finished_at"])
                _release_reservation(job)
                actions["cancelled"] += 1
            elif job.attempts >= job.max_attempts:
                job.status = Job.Status.FAILED
                job.error_code = "worker_lost"
                job.error_message = STALE_WORKER_MESSAGE.format(attempts=job.attempts)
                job.finished_at = now
                job.save(update_fields=["status", "error_code", "error_message", "finished_at"])
                _release_reservation(job)
                actions["failed"] += 1
            else:
                job.status = Job.Status.QUEUED
                job.heartbeat_at = None
                job.enqueued_at = now
                job.save(update_fields=["status", "heartbeat_at", "enqueued_at"])
                enqueue(job)
                actions["requeued"] += 1
        lost = list(
            Job.objects.select_for_update(skip_locked=True)
            .filter(status=Job.Status.QUEUED)
            .filter(
                # The broker lost the message (or a countdown's message) long enough ago...
                Q(enqueued_at__lt=stale_before)
                & (Q(retry_at__isnull=True) | Q(retry_at__lt=stale_before))
                # ...or refused it (enqueue marks it with a null enqueued_at): send it now.
                | Q(enqueued_at__isnull=True) & (Q(retry_at__isnull=True) | Q(retry_at__lte=now))
            )[:500]
        )
        for job in lost:
            touched += 1
            job.enqueued_at = now
            job.save(update_fields=["enqueued_at"])
            enqueue(job)
            actions["resent"] += 1
    metrics.count_reaper_actions(actions)  # after the commit: a pass that raised did nothing
    if touched:
        logger.info("reaper touched %s jobs", touched)
    return touched
