"""Job kinds and their handlers, and the context a handler runs in.

A feature registers one function per job kind in its own `handlers.py` (imported at start-up by
JobsConfig.ready):

    @job_handler("summary.make")
    def make_summary(ctx: JobContext) -> dict[str, Any]:
        answer = gateway.complete(..., job=ctx)  # charged when the job ends, not before
        ctx.on_finish(lambda: Summary.objects.create(document=doc, text=answer.text))
        return {"text": answer.text}

The handler returns the JSON result. The jobs machinery then ends the job in one transaction: the
ledger row of the call that answered and the reservation's settlement (handed over by the gateway,
because the handler passed `job=ctx`), the rows registered with `ctx.on_finish`, and the job's
outcome, written only by the attempt that holds the claim. Raising a KeelError fails the job with
the error's readable message (or schedules a countdown retry, see services.run_job).

Heartbeats are written by one thread per process for every running job (one UPDATE for all of them,
not one thread and one database connection per job), so 200 jobs in flight cost one connection.
The same thread flushes progress and reads back the cancel flags.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection
from django.utils import timezone

from product.core.db import release_connection
from product.core.resilience import REDIS_DOWN
from product.jobs.models import Job

if TYPE_CHECKING:
    from product.llm.gateway import PendingCharge
    from product.llm.models import LLMCall

logger = logging.getLogger(__name__)

# Progress and cancel requests are synced this often; the heartbeat itself only every
# settings.JOB_HEARTBEAT_EVERY_S (a progress bar wants ~1 s, liveness does not).
PROGRESS_EVERY_S = 1.0
# After a failed cache read, the cancel check trusts the database for this long.
CACHE_BACKOFF_S = 2.0

Handler = Callable[["JobContext"], dict[str, Any]]
MessagesBuilder = Callable[[dict[str, Any]], list[dict[str, str]]]
_handlers: dict[str, Handler] = {}
_messages_builders: dict[str, MessagesBuilder] = {}


class JobCancelled(Exception):  # noqa: N818 (a signal, not an error)
    """Raise from a handler to end the job as cancelled (the user asked to stop it)."""


def job_handler(
    kind: str, *, messages: MessagesBuilder | None = None
) -> Callable[[Handler], Handler]:
    """Register `fn(ctx) -> dict` for `kind`.

    `messages(input)` (optional) builds the prompt a job of this kind sends: with it, retrying a
    job reserves budget again before it goes back to the queue (services.reserve_budget).
    """

    def register(fn: Handler) -> Handler:
        if kind in _handlers and _handlers[kind] is not fn:
            raise ValueError(f"A handler for job kind {kind!r} is already registered.")
        _handlers[kind] = fn
        if messages is not None:
            _messages_builders[kind] = messages
        return fn

    return register


def get_messages_builder(kind: str) -> MessagesBuilder | None:
    return _messages_builders.get(kind)


def get_handler(kind: str) -> Handler:
    try:
        return _handlers[kind]
    except KeyError as exc:
        raise LookupError(f"No handler registered for job kind {kind!r}.") from exc


def cancel_cache_key(job_id: uuid.UUID | str) -> str:
    return f"jobs:cancel:{job_id}"


@dataclass
class JobContext:
    """What a handler gets: its job, progress and cancel flags, and the job's ending transaction.

    Pass it to the gateway as `job=ctx`: the ledger rows name this job, and the charge of the
    answering call is written in the transaction that ends the job (services.run_job), together
    with what the handler registered with `on_finish`. See docs/jobs.md.
    """

    job: Job
    charges: list[PendingCharge] = field(default_factory=list)
    finishers: list[Callable[[], None]] = field(default_factory=list)
    _progress: int = 0
    _flushed_progress: int = 0
    _cancelled: bool = False
    _cancel_checked_at: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._progress = self._flushed_progress = self.job.progress
        self._cancelled = self.job.cancel_requested

    def set_progress(self, pct: int) -> None:
        """Record progress (0-100); written with the next heartbeat, at most a few seconds late."""
        with self._lock:
            self._progress = max(0, min(100, int(pct)))
            self.job.progress = self._progress

    @property
    def progress(self) -> int:
        with self._lock:
            return self._progress

    def is_cancelled(self) -> bool:
        """Cheap enough to call between stream deltas: a cache flag, polled at most every 250 ms.

        The cache only makes a stop quick. The truth is the row's `cancel_requested`, which the
        heartbeat thread reads every second (`_Beater.beat`), so when the cache (Redis) is away
        this answers from what that thread saw, and the job carries on instead of failing.
        """
        if self._cancelled:
            return True
        now = time.monotonic()
        if now - self._cancel_checked_at >= 0.25:
            self._cancel_checked_at = now
            try:
                flagged = cache.get(cancel_cache_key(self.job.pk))
            except REDIS_DOWN:
                logger.warning("cancel flag of job %s unreadable; the row decides", self.job.pk)
                # Back off: a dead Redis must not cost a connect timeout per delta.
                self._cancel_checked_at = now + CACHE_BACKOFF_S
                flagged = False
            if flagged:
                self._cancelled = True
        return self._cancelled

    def mark_cancelled(self) -> None:
        self._cancelled = True

    # --- the ending transaction (gateway.JobLink, and the handler's own outcome) ---

    @property
    def job_id(self) -> uuid.UUID:
        return self.job.pk

    def defer_charge(self, charge: PendingCharge) -> None:
        """The gateway's answer is charged when the job ends, in the same transaction."""
        self.charges.append(charge)

    def note_call(self, call: LLMCall) -> None:
        """A job keeps no list of its calls: its ledger rows name it (`LLMCall.job`)."""
        return

    def on_finish(self, write: Callable[[], None]) -> None:
        """Run `write` (the feature's outcome rows) in the transaction that ends the job.

        It runs only if the handler returns and this attempt still holds the job, in the one
        transaction that charges the model calls and marks the job finished; if it raises,
        nothing of the ending is written and the job fails. Non-database side effects belong in
        `transaction.on_commit` inside `write`.
        """
        self.finishers.append(write)


class _Beater:
    """One daemon thread per process: heartbeats, progress and cancel flags for running jobs.

    On Postgres it writes through a connection of its own, outside the pool: handlers may hold
    pooled connections while they wait on a model, and a starved heartbeat would make the reaper
    run a live job a second time. The connection is closed whenever no job is running.
    """

    def __init__(self) -> None:
        self._contexts: dict[uuid.UUID, JobContext] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._own: Any = None  # psycopg.Connection, only while jobs run (Postgres)
        self._own_lock = threading.Lock()

    def add(self, ctx: JobContext) -> None:
        with self._lock:
            self._contexts[ctx.job.pk] = ctx
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)
                self._thread.start()

    def remove(self, ctx: JobContext) -> None:
        with self._lock:
            self._contexts.pop(ctx.job.pk, None)
            idle = not self._contexts
        if idle:
            # Close at once when the last job ends: an idle process holds no extra connection
            # (and a test database can be dropped right after the last test).
            self._close_own()

    def _run(self) -> None:
        last_beat = last_flush = time.monotonic()
        while True:
            # Short naps, so a changed interval (tests, a reload) takes effect at once.
            time.sleep(min(0.1, float(settings.JOB_HEARTBEAT_EVERY_S)))
            with self._lock:
                idle = not self._contexts
            if idle:
                self._close_own()
                continue
            now = time.monotonic()
            heartbeat = now - last_beat >= float(settings.JOB_HEARTBEAT_EVERY_S)
            if not heartbeat and now - last_flush < PROGRESS_EVERY_S:
                continue
            last_flush = now
            if heartbeat:
                last_beat = now
            try:
                self.beat(heartbeat=heartbeat)
            except Exception:
                logger.exception("job heartbeat failed")
                self._close_own()
            finally:
                close_old_connections()
                release_connection()

    def _close_own(self) -> None:
        with self._own_lock:
            if self._own is not None:
                try:
                    self._own.close()
                finally:
                    self._own = None

    def _execute(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with self._own_lock:
            if self._own is None:
                import psycopg

                self._own = psycopg.connect(**connection.get_connection_params(), autocommit=True)
            with self._own.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall()) if cursor.description else []

    def beat(self, *, heartbeat: bool = True) -> None:
        """Touch heartbeats (when due), flush changed progress, pick up cancel requests."""
        with self._lock:
            contexts = list(self._contexts.values())
        if not contexts:
            return
        if connection.vendor != "postgresql":
            self._beat_orm(contexts, heartbeat=heartbeat)
            return
        table = Job._meta.db_table
        ids = [ctx.job.pk for ctx in contexts]
        if heartbeat:
            # SKIP LOCKED: a job whose ending transaction holds its row (services._end) needs no
            # beat, and waiting for that commit would stall every other job's heartbeat.
            self._execute(
                f'UPDATE "{table}" SET heartbeat_at = %s WHERE id IN ('  # noqa: S608
                f'SELECT id FROM "{table}" WHERE id = ANY(%s) AND status = %s '
                "FOR UPDATE SKIP LOCKED)",
                [timezone.now(), ids, Job.Status.RUNNING],
            )
        changed = self._changed_progress(contexts)
        if changed:
            # One statement for every job whose progress moved.
            self._execute(
                f'UPDATE "{table}" AS job SET progress = moved.progress '  # noqa: S608
                "FROM unnest(%s::uuid[], %s::int[]) AS moved(id, progress) "
                "WHERE job.id = moved.id AND job.status = %s",
                [[ctx.job.pk for ctx, _ in changed], [p for _, p in changed], Job.Status.RUNNING],
            )
            self._mark_flushed(changed)
        rows = self._execute(
            f'SELECT id FROM "{table}" WHERE id = ANY(%s) AND cancel_requested',  # noqa: S608
            [ids],
        )
        cancelled = {row[0] for row in rows}
        for ctx in contexts:
            if ctx.job.pk in cancelled:
                ctx.mark_cancelled()

    @staticmethod
    def _changed_progress(contexts: list[JobContext]) -> list[tuple[JobContext, int]]:
        changed = []
        for ctx in contexts:
            with ctx._lock:
                if ctx._progress != ctx._flushed_progress:
                    changed.append((ctx, ctx._progress))
        return changed

    @staticmethod
    def _mark_flushed(changed: list[tuple[JobContext, int]]) -> None:
        for ctx, progress in changed:
            with ctx._lock:
                ctx._flushed_progress = progress

    def _beat_orm(self, contexts: list[JobContext], *, heartbeat: bool) -> None:
        """SQLite (the embedded default, no pool): the ORM on this thread's connection."""
        ids = [ctx.job.pk for ctx in contexts]
        if heartbeat:
            Job.objects.filter(pk__in=ids, status=Job.Status.RUNNING).update(
                heartbeat_at=timezone.now()
            )
        changed = self._changed_progress(contexts)
        for ctx, progress in changed:
            Job.objects.filter(pk=ctx.job.pk, status=Job.Status.RUNNING).update(progress=progress)
        self._mark_flushed(changed)
        cancelled = set(
            Job.objects.filter(pk__in=ids, cancel_requested=True).values_list("pk", flat=True)
        )
        for ctx in contexts:
            if ctx.job.pk in cancelled:
                ctx.mark_cancelled()


beater = _Beater()
