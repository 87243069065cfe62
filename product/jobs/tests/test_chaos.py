"""Chaos: real Celery workers are SIGKILLed mid-flight, Redis loses its queue or restarts; the jobs
survive.

Sized for CI (about two and a half minutes). Each test runs real `celery worker` subprocesses
(threads pool, with the beat-driven reaper embedded and made fast through the environment) against
the test database, the session's dev model server and a `redis-server` of the test's own on a free
port, which the test may kill and restart (never the shared one); the Postgres case also runs a
web process against a Postgres of its own (pgserver). With `-s` the tests print their time to
recover; docs/operations.md quotes them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.test import Client

from product.accounts.models import User, Workspace
from product.ask.services import submit_question
from product.chat import services as chat_services
from product.chat.models import Message
from product.jobs.models import Job
from product.llm import quotas
from product.llm.models import BudgetReservation, LLMCall

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.skipif(
        not (settings.REDIS_URL and settings.DATABASE_IS_POSTGRES),
        reason="chaos needs Postgres and Redis (CI always has both)",
    ),
    pytest.mark.skipif(
        shutil.which("redis-server") is None,
        reason="chaos starts a redis-server of its own (apt-get install redis-server)",
    ),
]


class ChaosWorkers:
    """Start and kill workers that share the test database, the test's Redis and the dev model."""

    def __init__(self, tmp: Path, devmodel: str, redis_url: str) -> None:
        db = settings.DATABASES["default"]
        url = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        if db.get("PASSWORD"):
            url = url.replace("@", f":{db['PASSWORD']}@", 1)
        self.tmp = tmp
        self.env = {
            **os.environ,
            "DEBUG": "true",
            "KEEL_TESTING": "false",
            "KEEL_VAR_DIR": str(tmp),
            "DATABASE_URL": url,
            "DATABASE_POOL_MAX": "10",
            "REDIS_URL": redis_url,
            "LLM_BASE_URL": devmodel,
            "LLM_API_KEY": "",
            "LLM_MODEL": "keel-dev-small",
            "LLM_FALLBACK_MODEL": "",
            "LLM_TIMEOUT_S": "15",
            "LLM_USER_REQUESTS_PER_MINUTE": "0",
            "JOB_STALE_AFTER_S": "3",
            "JOB_HEARTBEAT_EVERY_S": "0.5",
            "REAPER_EVERY_S": "1",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("PYTEST_CURRENT_TEST", None)
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, **extra_env: str) -> subprocess.Popen[bytes]:
        log_path = self.tmp / f"{name}.log"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker",
                "worker",
                "-Q",
                "llm,default,knowledge",
                "-P",
                "threads",
                "-c",
                "40",
                "-n",
                f"{name}-{os.getpid()}@%h",
                "-B",
                "-s",
                str(self.tmp / f"{name}-beat"),
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env={**self.env, **extra_env},
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        deadline = time.monotonic() + 30
        while "ready." not in log_path.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log_path.read_text(errors="replace")[-3000:])
            time.sleep(0.1)
        return process

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        # SIGKILL the whole group: no warm shutdown, no acks, no last heartbeat.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


class OwnRedis:
    """A `redis-server` of the test's own (no persistence, like a cache-only deployment)."""

    def __init__(self, tmp: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.tmp = tmp
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for the broker-loss tests"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.tmp)],
            stdout=(self.tmp / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return
            except redis.exceptions.ConnectionError:
                assert time.monotonic() < deadline, "own redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        # SIGKILL: a crash, not a polite shutdown; without persistence every key is gone.
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def workers(tmp_path: Path, devmodel: str, own_redis: OwnRedis) -> Iterator[ChaosWorkers]:
    chaos = ChaosWorkers(tmp_path, devmodel, own_redis.url)
    try:
        yield chaos
    finally:
        chaos.stop_all()


class _Sender:
    """Stands in for the run_job task in this process: sends to the given broker."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def apply_async(self, args: tuple[Any, ...], queue: str = "llm", **options: Any) -> None:
        self.app.send_task("jobs.run_job", args=args, queue=queue, **options)


@pytest.fixture
def own_broker(own_redis: OwnRedis, monkeypatch: pytest.MonkeyPatch) -> Iterator[Celery]:
    """Make this process enqueue to the test's own Redis (where its workers listen)."""
    app = Celery("keel-own-broker", broker=own_redis.url, set_as_current=False)
    monkeypatch.setattr("product.jobs.tasks.run_job", _Sender(app))
    yield app
    app.close()


def _wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            counts = Counter(Job.objects.values_list("status", flat=True))
            raise AssertionError(f"timed out waiting for {what}; jobs: {dict(counts)}")
        time.sleep(0.2)


def _submit(workspace: Workspace, user: User, text: str) -> Job:
    # A real feature's job (Ask once), so the worker runs the product's own handler and gateway.
    return submit_question(workspace=workspace, user=user, text=text, task="summarise").job


def _assert_every_job_succeeded_once(jobs: list[Job]) -> None:
    ids = [job.pk for job in jobs]
    statuses = Counter(Job.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses == {Job.Status.SUCCEEDED: len(ids)}
    charged = Counter(
        LLMCall.objects.filter(job_id__in=ids, status=LLMCall.Status.SUCCEEDED).values_list(
            "job_id", flat=True
        )
    )
    assert set(charged) == set(ids), "every job has its succeeded (charged) model call"
    assert max(charged.values()) == 1, "no job was charged twice"
    for job in Job.objects.filter(pk__in=ids):
        assert job.result is not None
        assert job.result["text"].startswith("Done "), job.result
        call = LLMCall.objects.get(job_id=job.pk, status=LLMCall.Status.SUCCEEDED)
        assert job.result["call_id"] == str(call.pk), "the result is the charged call's answer"


@pytest.mark.django_db(transaction=True)
def test_it_survives_a_worker_killed_mid_flight(
    workers: ChaosWorkers, own_broker: Celery, alice: User, acme: Workspace, settings: Any
) -> None:
    settings.LLM_USER_REQUESTS_PER_MINUTE = 0
    first = workers.start("first")
    # 10 quick jobs finish before the kill; 20 slow ones (~5 s of streaming) are mid-flight.
    quick = [_submit(acme, alice, f"[[reply: Done quick {n}]]") for n in range(10)]
    slow = [
        _submit(acme, alice, f"[[reply: Done slow {n} and more words]] [[delay_ms: 800]]")
        for n in range(20)
    ]
    connection.close()
    _wait_until(
        lambda: (
            Job.objects.filter(pk__in=[j.pk for j in quick], status="succeeded").count() == 10
            and Job.objects.filter(pk__in=[j.pk for j in slow], status="running").count() == 20
        ),
        timeout=30,
        what="quick jobs done and slow jobs running",
    )
    workers.kill(first)
    killed_while_running = Job.objects.filter(status=Job.Status.RUNNING).count()
    assert killed_while_running == 20
    assert not LLMCall.objects.filter(job_id__in=[j.pk for j in slow]).exists()

    killed_at = time.monotonic()
    workers.start("second")
    _wait_until(
        lambda: Job.objects.filter(status=Job.Status.SUCCEEDED).count() == 30,
        timeout=45,
        what="every job to succeed after the restart",
    )
    print(f"\nworker killed: 20 jobs re-run and done {time.monotonic() - killed_at:.1f} s later")
    _assert_every_job_succeeded_once(quick + slow)
    assert set(
        Job.objects.filter(pk__in=[j.pk for j in slow]).values_list("attempts", flat=True)
    ) == {2}


@pytest.mark.django_db(transaction=True)
def test_the_reaper_brings_back_jobs_a_flushed_redis_lost(
    workers: ChaosWorkers,
    own_redis: OwnRedis,
    own_broker: Celery,
    alice: User,
    acme: Workspace,
    settings: Any,
) -> None:
    import redis

    settings.LLM_USER_REQUESTS_PER_MINUTE = 0
    jobs = [_submit(acme, alice, f"[[reply: Done flushed {n}]]") for n in range(10)]
    connection.close()
    assert redis.Redis.from_url(own_redis.url).llen("llm") == 10
    own_redis.stop()  # Redis restarted without persistence: the queue is gone
    own_redis.start()
    workers.start("after-flush")
    _wait_until(
        lambda: Job.objects.filter(status=Job.Status.SUCCEEDED).count() == 10,
        timeout=30,
        what="the reaper to re-enqueue the lost jobs",
    )
    _assert_every_job_succeeded_once(jobs)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_inside_the_ending_transaction_charges_each_job_once(
    workers: ChaosWorkers, own_broker: Celery, alice: User, acme: Workspace, settings: Any
) -> None:
    """The window docs/architecture.md used to accept: the ledger row is in, the job not done.

    The fault point holds every job inside its ending transaction, right after the ledger insert
    (and the settlement), for a minute; the worker is SIGKILLed there. Postgres rolls the open
    transactions back, so the re-run after the restart is the only charge.
    """
    settings.LLM_USER_REQUESTS_PER_MINUTE = 0
    jobs = []
    for n in range(8):  # fewer than DATABASE_POOL_MAX: each paused ending holds a connection
        # A feature's submit reserves the budget first, as every real job does.
        jobs.append(_submit(acme, alice, f"[[reply: Done window {n}]]"))
    connection.close()
    ids = [job.pk for job in jobs]
    first = workers.start("window", KEEL_FAULT_PAUSE_IN_JOB_ENDING_S="60")
    deadline = time.monotonic() + 30
    while workers.log("window").count("fault point: job") < len(jobs):
        assert time.monotonic() < deadline, workers.log("window")[-3000:]
        time.sleep(0.1)
    workers.kill(first)

    # Killed inside the window: nothing of the endings committed.
    assert set(Job.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"running"}
    assert not LLMCall.objects.filter(job_id__in=ids).exists()
    reservations = BudgetReservation.objects.filter(jobs__in=ids)
    assert set(reservations.values_list("status", flat=True)) == {"reserved"}

    workers.start("after-window")
    _wait_until(
        lambda: Job.objects.filter(pk__in=ids, status=Job.Status.SUCCEEDED).count() == len(ids),
        timeout=45,
        what="every job to succeed after the restart",
    )
    _assert_every_job_succeeded_once(jobs)
    for job in Job.objects.filter(pk__in=ids).select_related("reservation"):
        assert job.attempts == 2
        [call] = LLMCall.objects.filter(job=job)  # the killed attempt left no row at all
        assert job.reservation is not None
        assert job.reservation.status == BudgetReservation.Status.SETTLED
        assert job.reservation.actual_usd == call.cost_usd, "settled once, with the one charge"
    assert quotas.month_spend(acme) == sum(
        (
            c or Decimal(0)
            for c in LLMCall.objects.filter(job_id__in=ids).values_list("cost_usd", flat=True)
        ),
        start=Decimal(0),
    )


def _slow_reply(tag: str) -> str:
    # Twelve tokens 400 ms apart: ~5 s of streaming, so a restart lands mid-reply.
    return f"Done {tag} " + " ".join(f"w{n}" for n in range(10))


def _send_chat(workspace: Workspace, user: User, reply: str) -> Message:
    conversation = chat_services.start_conversation(workspace=workspace, user=user, title="Chaos")
    text = f"[[reply: {reply}]] [[delay_ms: 400]]"
    return chat_services.send_message(conversation=conversation, author=user, text=text).reply


def _follow_reply(client: Any, message_id: Any, into: dict[str, Any]) -> None:
    """Read a reply's SSE like a browser: reconnect with Last-Event-ID after each end.

    Appends deltas, clears on `reset`, stops at `done`/`error`; counts the `retry:` hints.
    """
    try:
        _read_until_the_end(client, message_id, into)
    finally:
        connection.close()  # this thread's own; the test database is dropped after the test


def _read_until_the_end(client: Any, message_id: Any, into: dict[str, Any]) -> None:
    from product.chat.tests.test_sse import consume, parse_sse

    text, cursor, retries = "", "", 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        headers = {"HTTP_LAST_EVENT_ID": cursor} if cursor else {}
        try:
            events = parse_sse(
                consume(client.get(f"/chat/messages/{message_id}/stream/", **headers))
            )
        except Exception as exc:  # the test reports it: a reader must never see a server error
            into["error"] = repr(exc)
            return
        for event in events:
            cursor = event.get("id", cursor)
            if event.get("event") == "delta":
                text += event["data"]["text"]
            elif event.get("event") == "reset":
                text = ""
            elif event.get("event") in ("done", "error"):
                into.update(text=text, final=event["event"], retries=retries)
                return
            if "retry" in event:
                retries += 1
        time.sleep(0.3)
    into.update(text=text, final="timeout", retries=retries)


def _assert_no_unsettled_budget() -> None:
    """Every job that ended settled (it was charged) or released its reservation: none is held."""
    finished = Job.objects.exclude(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    held = BudgetReservation.objects.filter(
        jobs__in=finished, status=BudgetReservation.Status.RESERVED
    )
    assert not held.exists(), list(held.values_list("jobs__kind", "jobs__status"))
    for job in finished.filter(reservation__isnull=False).select_related("reservation"):
        assert job.reservation is not None
        charged = LLMCall.objects.filter(job=job, status=LLMCall.Status.SUCCEEDED).exists()
        if job.status == Job.Status.SUCCEEDED and charged:
            assert job.reservation.status == BudgetReservation.Status.SETTLED, job.kind


@pytest.mark.django_db(transaction=True)
def test_it_survives_a_redis_restart_mid_run(
    workers: ChaosWorkers,
    own_redis: OwnRedis,
    own_broker: Celery,
    alice: User,
    acme: Workspace,
    settings: Any,
) -> None:
    """Redis dies (SIGKILL, no persistence) and is back 0.5 s later, with jobs and replies mid-flight.

    The worker reconnects and keeps consuming (kombu's restore_unacked crash is patched, see
    worker/celery.py); the cancel-flag checks and stream appends ride it out (registry, chat
    services), so no job fails and every reply ends with its exact text.
    """
    settings.LLM_USER_REQUESTS_PER_MINUTE = 0
    settings.REDIS_URL = own_redis.url  # this process's SSE readers follow the workers' streams
    worker = workers.start("survivor")
    slow = [
        _submit(acme, alice, f"[[reply: {_slow_reply(f'ask {n}')}]] [[delay_ms: 400]]")
        for n in range(8)
    ]
    replies = {_send_chat(acme, alice, _slow_reply(f"chat {n}")).pk: n for n in range(3)}
    connection.close()
    _wait_until(
        lambda: (
            Job.objects.filter(pk__in=[j.pk for j in slow], status="running").count() == 8
            and Message.objects.filter(pk__in=replies, status="streaming").exclude(text="").count()
            == 3
        ),
        timeout=30,
        what="jobs running and replies streaming",
    )
    # Two readers per reply, as browsers would be: they must end with the exact text.
    reads: list[tuple[Any, dict[str, Any]]] = []
    readers = []
    for message_id in list(replies) * 2:
        client = Client()
        client.force_login(alice)
        seen: dict[str, Any] = {}
        reads.append((message_id, seen))
        readers.append(threading.Thread(target=_follow_reply, args=(client, message_id, seen)))
    for reader in readers:
        reader.start()
    time.sleep(0.5)
    own_redis.stop()
    restarted_at = time.monotonic()
    time.sleep(0.5)
    own_redis.start()
    connection.close()
    after = [_submit(acme, alice, f"[[reply: Done after {n}]]") for n in range(4)]
    _wait_until(
        lambda: Job.objects.filter(pk__in=[j.pk for j in after], status="succeeded").exists(),
        timeout=60,
        what="a job submitted after the restart to succeed",
    )
    recovered_s = time.monotonic() - restarted_at
    _wait_until(
        lambda: not Job.objects.filter(status__in=["queued", "running"]).exists(),
        timeout=60,
        what="every job to end",
    )
    print(f"\nredis restart: first new job done {recovered_s:.1f} s after the kill")

    log = workers.log("survivor")
    assert worker.poll() is None, log[-3000:]
    assert "Unrecoverable error" not in log, log[-3000:]
    assert Counter(Job.objects.values_list("status", flat=True)) == {
        Job.Status.SUCCEEDED: Job.objects.count()
    }
    _assert_every_job_succeeded_once(slow + after)
    assert set(
        Job.objects.filter(pk__in=[j.pk for j in slow]).values_list("attempts", flat=True)
    ) == {1}, "the jobs in flight were not re-run: they finished in the worker that had them"
    for message in Message.objects.filter(pk__in=replies):
        assert message.status == Message.Status.DONE, message.error_message
        assert message.text == _slow_reply(f"chat {replies[message.pk]}")
    for reader in readers:
        reader.join(timeout=60)
    for message_id, seen in reads:
        assert "error" not in seen, seen
        assert seen["final"] == "done", seen
        assert seen["text"] == _slow_reply(f"chat {replies[message_id]}"), seen
    print(f"SSE readers told to retry: {sum(seen['retries'] for _, seen in reads)} times")
    _assert_no_unsettled_budget()


@pytest.mark.django_db(transaction=True)
def test_every_submit_is_accepted_while_redis_is_down(
    workers: ChaosWorkers,
    own_redis: OwnRedis,
    own_broker: Celery,
    alice: User,
    acme: Workspace,
    settings: Any,
) -> None:
    """Redis is down for the submits: each is written and accepted; the reaper sends them later."""
    settings.LLM_USER_REQUESTS_PER_MINUTE = 0
    worker = workers.start("patient")
    own_redis.stop()
    jobs = [_submit(acme, alice, f"[[reply: Done outage {n}]]") for n in range(6)]
    reply = _send_chat(acme, alice, "Done chat in the outage")
    connection.close()
    assert Job.objects.filter(status=Job.Status.QUEUED, enqueued_at__isnull=True).count() == 7
    time.sleep(2)  # an outage longer than a blip: the worker retries its connection meanwhile
    own_redis.start()
    back_at = time.monotonic()
    _wait_until(
        lambda: (
            Job.objects.filter(pk__in=[j.pk for j in jobs], status="succeeded").count() == 6
            and Message.objects.filter(pk=reply.pk, status="done").exists()
        ),
        timeout=60,
        what="every job accepted in the outage to finish",
    )
    print(f"\nredis outage: every submit done {time.monotonic() - back_at:.1f} s after it was back")
    assert worker.poll() is None, workers.log("patient")[-3000:]
    _assert_every_job_succeeded_once(jobs)
    reply.refresh_from_db()
    assert reply.text == "Done chat in the outage"
    _wait_until(
        lambda: not Job.objects.filter(status__in=["queued", "running"]).exists(),
        timeout=30,
        what="the title job to end",
    )
    _assert_no_unsettled_budget()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class OwnPostgres:
    """A PostgreSQL 16 of the test's own (PyPI's pgserver), on a free TCP port, restartable.

    pgserver runs initdb (as its `pgserver` user when we are root: Postgres refuses root) and
    starts on a unix socket only; the test stops that and runs `pg_ctl` itself on 127.0.0.1, so
    the processes get a plain DATABASE_URL and a restart keeps the data directory and the port.
    """

    def __init__(self, tmp: Path) -> None:
        # Not under tmp: every pytest run (CI's too) chmods /tmp/pytest-of-<user> back to 0700,
        # which locks the `pgserver` user out of a data directory inside it.
        self.folder = Path(tempfile.mkdtemp(prefix="keel-chaos-pg-"))
        self.pgdata = self.folder / "pg"
        self.logs = tmp
        self.port = _free_port()
        self.user: str | None = None

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def create(self) -> None:
        import atexit
        import logging

        from pgserver.postgres_server import get_server

        self.pgdata.mkdir()
        logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every command at INFO
        server = get_server(self.pgdata, cleanup_mode="stop")
        self.user = server.system_user
        server.cleanup()  # stops its socket-only server
        atexit.unregister(server._cleanup)  # nothing left to clean at exit; the folder goes first
        self.start()

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import POSTGRES_BIN_PATH

        # Output to a file, not a pipe: the postmaster inherits pg_ctl's stdout and holds it open.
        with (self.logs / "pg_ctl.log").open("ab") as out:
            subprocess.run(
                [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.pgdata), *args],
                user=self.user,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=30,
            )

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.pgdata}"
        self._pg_ctl("-w", "-l", str(self.pgdata / "log"), "-o", options, "start")

    def crash(self) -> None:
        # Immediate mode: every backend is killed, no checkpoint; the next start recovers from WAL.
        self._pg_ctl("-w", "-m", "immediate", "stop")

    def remove(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):  # already down: the folder goes
                self._pg_ctl("-w", "-m", "fast", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[OwnPostgres]:
    pytest.importorskip("pgserver", reason="the Postgres restart case needs pgserver (dev group)")
    server = OwnPostgres(tmp_path)
    try:
        server.create()
    except (OSError, subprocess.SubprocessError) as exc:
        server.remove()
        pytest.skip(f"pgserver could not start a Postgres of the test's own: {exc}")
    try:
        yield server
    finally:
        server.remove()


class WebProcess:
    """`uvicorn product.asgi:application` on a free port, with the workers' environment."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.log_path = tmp / "web.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "product.asgi:application"]
            + ["--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"],
            cwd=ROOT,
            env=env,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        import httpx

        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(self.log()[-3000:])
            time.sleep(0.2)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


_CREATE_KEY = """
from product.accounts.models import User
from product.accounts.services import create_personal_workspace
from product.apikeys.services import create_api_key
user = User.objects.create_user("pg-chaos@example.com", "a long enough password")
workspace = create_personal_workspace(user=user)
membership = workspace.memberships.get(user=user)
print(create_api_key(membership=membership, name="chaos", scopes=["read", "write"]).full_key)
"""


def test_it_survives_a_postgres_restart(
    tmp_path: Path, devmodel: str, own_redis: OwnRedis, own_postgres: OwnPostgres
) -> None:
    """Postgres crashes with questions in flight and is started again on the same data directory.

    Meanwhile the API answers 503 with `Retry-After` and the envelope, `/healthz` stays up and
    `/readyz` says the database is down. After, every question accepted before the crash ends
    succeeded (the reaper re-runs the endings that could not commit) and new submits are accepted.
    """
    workers = ChaosWorkers(tmp_path, devmodel, own_redis.url)
    workers.env["DATABASE_URL"] = own_postgres.url
    web: WebProcess | None = None
    try:
        _manage(workers.env, "migrate", "--no-input")
        key = _manage(workers.env, "shell", "-c", _CREATE_KEY).strip().splitlines()[-1]
        workers.start("pg-survivor")
        web = WebProcess(tmp_path, workers.env)
        api = web.client
        auth = {"Authorization": f"Bearer {key}"}

        def submit(text: str) -> Any:
            return api.post(
                "/api/v1/questions", json={"text": text, "task": "summarise"}, headers=auth
            )

        # ~1.5 s of streaming each: the crash lands while they run, their endings in the outage.
        words = " ".join(f"w{n}" for n in range(3))
        before = []
        for n in range(6):
            response = submit(f"[[reply: Done before {n} {words}]] [[delay_ms: 300]]")
            assert response.status_code == 202, response.text
            before.append(response.json()["id"])

        def job(question_id: str) -> dict[str, Any]:
            answer = api.get(f"/api/v1/questions/{question_id}", headers=auth)
            assert answer.status_code == 200, answer.text
            return dict(answer.json()["job"])

        deadline = time.monotonic() + 20
        while {job(q)["status"] for q in before} != {"running"}:
            assert time.monotonic() < deadline, [job(q)["status"] for q in before]
            time.sleep(0.2)
        time.sleep(0.3)  # mid-reply: the crash lands before any ending commits

        own_postgres.crash()
        started = time.monotonic()
        refused = submit("[[reply: Done never]]")
        refused_s = time.monotonic() - started
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "5"
        assert refused.json()["error"]["code"] == "service_unavailable", refused.text
        assert refused.json()["error"]["message"]
        assert api.get("/healthz").status_code == 200
        ready = api.get("/readyz")
        assert ready.status_code == 503, ready.text
        time.sleep(3)  # longer than the replies: every ending fails, the heartbeats stop

        own_postgres.start()
        back_at = time.monotonic()
        deadline = back_at + 30
        while (response := submit("[[reply: Done after]]")).status_code != 202:
            assert response.status_code == 503, response.text
            assert time.monotonic() < deadline, "no submit accepted 30 s after Postgres was back"
            time.sleep(0.2)
        first_submit_s = time.monotonic() - back_at
        after = response.json()["id"]

        deadline = time.monotonic() + 45
        while {job(q)["status"] for q in [*before, after]} != {"succeeded"}:
            assert time.monotonic() < deadline, [job(q) for q in [*before, after]]
            time.sleep(0.3)
        all_done_s = time.monotonic() - back_at
        rerun = 0
        for question_id in before:
            answer = api.get(f"/api/v1/questions/{question_id}", headers=auth).json()
            assert answer["answer"].startswith("Done before"), answer
            # An ending the crash refused committed nothing: the reaper ran the job once more.
            # One that came after the restart committed on its first attempt.
            assert answer["job"]["attempts"] in (1, 2), answer["job"]
            rerun += answer["job"]["attempts"] - 1
        print(
            f"\npostgres restart: 503 in {refused_s:.1f} s while down; first submit accepted "
            f"{first_submit_s:.1f} s and every job done {all_done_s:.1f} s after it was back "
            f"({rerun} of {len(before)} re-run by the reaper)"
        )
        assert api.get("/readyz").status_code == 200
        assert workers.processes[0].poll() is None, workers.log("pg-survivor")[-3000:]
    finally:
        if web is not None:
            web.stop()
        workers.stop_all()
