"""Scale-out: jobs/s and API requests/s with 1, 2 and 4 web and worker processes, and what each
costs in CPU; then the kill phase: SIGKILL a web and a worker under load, and check that nothing
is lost, charged twice or cut short.

Every configuration runs on one stack (Postgres, a Redis, the dev model server), as production
does: each web is `uvicorn product.asgi:application` (one process, a port of its own, as one pod
or container behind a load balancer), each worker is `celery -A worker worker -Q llm,default
-P threads -c 100` (docker/entrypoint.sh). The load generator is a separate process (a keep-alive
HTTP/1.1 client on asyncio, spreading its connections over the webs as a balancer would), so it
costs little and is measured too.

- jobs/s: BENCH_JOBS Ask once jobs POSTed to `/api/v1/questions` as fast as the webs accept them,
  over several workspaces (real traffic does not queue on one workspace's budget lock), each
  answered by the dev model after MODEL_LATENCY_MS; jobs/s = jobs / (last finished - first
  created). The model's latency is small, so the rate is Keel's, not the model's.
- requests/s: `GET /api/v1/keys?limit=20` (bench/api.py's authenticated list) for BENCH_SECONDS.
- CPU per job and per request: each web, each worker, the Postgres backends of the stack's
  database (their /proc CPU, sampled), the redis-server, the dev model server and the client;
  `machine_busy` is the whole machine's CPU (other users included) over the run, from /proc/stat.

The kill phase (BENCH_KILL=1, the default): two webs, two workers and beat with a fast reaper
(JOB_STALE_AFTER_S=4, heartbeats every 0.5 s, the reaper every 1 s); jobs POSTed continuously
with an Idempotency-Key (a POST cut by the kill is sent again to the other web with the same key);
BENCH_STREAMS chat replies followed over SSE from the web that is killed. Then `kill -9` that web
and one worker. Each stream reconnects to the surviving web with Last-Event-ID. The bench checks:
every job succeeded (jobs_lost), none has two charged ledger rows (double_charged) and each
charged once (uncharged), no budget stays reserved, and every stream's text equals the reply saved
in the database (streams_resumed_complete). It exits 1 if any check fails.

    BENCH_WEBS=1,2 BENCH_WORKERS=1,2 BENCH_JOBS=150 BENCH_SECONDS=4 python bench/scaleout.py

Prints one JSON line per configuration, one for the kill phase, then the summary line last:
{"bench":"scaleout","cpu_count":2,"curve":[{"webs":1,"workers":1,"jobs_s":...,"rps":...},...],
 "kill":{"jobs_submitted":...,"jobs_lost":0,"double_charged":0,"streams":...,...}}
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, cpu_seconds, print_result, read_http_response  # noqa: E402


def _counts(name: str, default: str) -> list[int]:
    return [int(n) for n in os.environ.get(name, default).split(",") if n.strip()]


WEBS = _counts("BENCH_WEBS", "1,2,4")
WORKERS = _counts("BENCH_WORKERS", "1,2,4")
JOBS = int(os.environ.get("BENCH_JOBS", "300"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
KILL = os.environ.get("BENCH_KILL", "1") == "1"
STREAMS = int(os.environ.get("BENCH_STREAMS", "6"))
# Connections the load generator keeps open, over all webs.
CONCURRENCY = int(os.environ.get("BENCH_SCALEOUT_CONCURRENCY", "32"))
MODEL_LATENCY_MS = 100
WORKER_THREADS = 100
WORKSPACES = 8
LIST_PATH = "/api/v1/keys?limit=20"
# The kill phase's reaper: fast enough to finish in seconds (docs/jobs.md, "Settings").
FAST_REAPER = {
    "JOB_STALE_AFTER_S": "4",
    "JOB_HEARTBEAT_EVERY_S": "0.5",
    "REAPER_EVERY_S": "1",
    "LLM_TIMEOUT_S": "15",
}
KILL_JOB_PROMPT = "[[tokens: 30]] [[delay_ms: 30]]"  # ~1 s per job: many are mid-call at the kill
KILL_STREAM_PROMPT = "[[tokens: 200]] [[delay_ms: 30]]"  # ~6 s per reply
KILL_SUBMITTERS = 3
KILL_AFTER_DELTAS = 20


# --- the load generator (a separate process) ------------------------------------------------


async def _http_loop(
    target: tuple[str, int],
    next_request: Callable[[], bytes | None],
    on_response: Callable[[int, bytes], None],
    stop_at: float,
) -> None:
    """One keep-alive connection: send, read the whole response, repeat."""
    reader, writer = await asyncio.open_connection(*target)
    try:
        while time.monotonic() < stop_at:
            request = next_request()
            if request is None:
                return
            writer.write(request)
            await writer.drain()
            status, _head, body = await read_http_response(reader)
            on_response(status, body)
    finally:
        writer.close()


def _request(method: str, target: tuple[str, int], path: str, key: str, body: Any = None) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {target[0]}:{target[1]}",
        "Connection: keep-alive",
        f"Authorization: Bearer {key}",
    ]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def _generate(spec: dict[str, Any]) -> dict[str, Any]:
    targets = [tuple(t) for t in spec["targets"]]
    keys: list[str] = spec["keys"]
    statuses: dict[int, int] = {}
    sent = [0]
    counted = [False]

    def on_response(status: int, body: bytes) -> None:
        if counted[0]:
            statuses[status] = statuses.get(status, 0) + 1

    def loop_for(n: int) -> Any:
        target = targets[n % len(targets)]
        key = keys[n % len(keys)]
        if spec["mode"] == "ask":

            def next_request() -> bytes | None:
                if sent[0] >= spec["jobs"]:
                    return None
                sent[0] += 1
                text = f"[[reply: Answer {sent[0]}]] [[ttft_ms: {spec['latency_ms']}]]"
                body = {"text": text, "task": "summarise"}
                return _request("POST", target, "/api/v1/questions", key, body)
        else:
            request = _request("GET", target, LIST_PATH, key)

            def next_request() -> bytes | None:
                return request

        return _http_loop(target, next_request, on_response, stop_at)

    if spec["mode"] == "list":
        # Warm every connection's server first (imports, the pool), uncounted.
        stop_at = time.monotonic() + 1.0
        await asyncio.gather(*(loop_for(n) for n in range(spec["concurrency"])))
    counted[0] = True
    cpu_before = time.process_time()
    started = time.monotonic()
    stop_at = started + (spec.get("seconds") or 3600)
    await asyncio.gather(*(loop_for(n) for n in range(spec["concurrency"])))
    elapsed = time.monotonic() - started
    return {
        "statuses": statuses,
        "elapsed_s": elapsed,
        "client_cpu_s": time.process_time() - cpu_before,
    }


def run_load_generator(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the client in a process of its own; returns what it measured."""
    done = subprocess.run(
        [sys.executable, __file__, "--load", json.dumps(spec)],
        capture_output=True,
        check=True,
        timeout=600,
    )
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
    return result


# --- CPU meters -------------------------------------------------------------------------------


class PostgresBackendsCpu:
    """CPU of the Postgres backends serving one database, from /proc (the server is local).

    Backends come and go (pools grow, heartbeats have their own), so a thread samples the list
    every 200 ms and adds up what each backend used while it was seen; a backend that ends between
    two samples loses at most that slice.
    """

    def __init__(self, admin_url: str, database: str) -> None:
        self._admin_url, self._database = admin_url, database
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self, conn: Any, baseline: bool) -> None:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self._database]
        ).fetchall()
        for (pid,) in rows:
            try:
                used = cpu_seconds(pid)
            except OSError:
                continue
            # A backend first seen after the start did all its work inside the window.
            self._first.setdefault(pid, used if baseline else 0.0)
            self._last[pid] = used

    def start(self) -> None:
        import psycopg

        self._first.clear()
        self._last.clear()
        self._stop.clear()
        conn = psycopg.connect(self._admin_url, autocommit=True)
        self._sample(conn, baseline=True)

        def run() -> None:
            with conn:
                while not self._stop.wait(0.2):
                    self._sample(conn, baseline=False)
                self._sample(conn, baseline=False)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        return sum(self._last[pid] - self._first[pid] for pid in self._last)


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far, from /proc/stat."""
    fields = [float(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class Meters:
    """CPU of every process of the stack over one measurement."""

    def __init__(self, stack: BenchStack, pg: PostgresBackendsCpu) -> None:
        self.stack, self.pg = stack, pg
        self.redis_pid = stack.redis_pid

    def _processes(self) -> dict[str, float]:
        used: dict[str, float] = {"web": 0.0, "worker": 0.0, "devmodel": 0.0}
        for name, process in self.stack.processes.items():
            role = name.rstrip("0123456789")
            if role in used and process.poll() is None:
                used[role] += cpu_seconds(process.pid)
        if self.redis_pid:
            used["redis"] = cpu_seconds(self.redis_pid)
        return used

    def start(self) -> None:
        self._before = self._processes()
        self._machine = machine_cpu()
        self.pg.start()

    def stop(self) -> dict[str, float]:
        after = self._processes()
        used = {name: after[name] - self._before[name] for name in after}
        used["pg"] = self.pg.stop()
        busy, total = machine_cpu()
        used["machine_busy"] = (busy - self._machine[0]) / max(1.0, total - self._machine[1])
        return used


# --- one configuration --------------------------------------------------------------------


def scale_to(stack: BenchStack, role: str, count: int) -> None:
    """Exactly `count` processes of `role` (web0.., worker0..): start the missing, stop the rest."""
    running = sorted(n for n in stack.processes if n.rstrip("0123456789") == role)
    for name in running[count:]:
        stack.stop_process(name)
    for n in range(count):
        name = f"{role}{n}"
        if name in stack.processes:
            continue
        if role == "web":
            stack.start_web(name=name)
        else:
            stack.start_worker(concurrency=WORKER_THREADS, name=name)


def per_unit_ms(used: dict[str, float], count: int, client_cpu: float) -> dict[str, float]:
    roles = ["web", "worker", "pg", "redis", "devmodel"]
    out = {role: round(1000 * used.get(role, 0.0) / max(1, count), 3) for role in roles}
    out["client"] = round(1000 * client_cpu / max(1, count), 3)
    return out


def keel_cpu_ms(per_unit: dict[str, float]) -> float:
    """Keel's own CPU per unit: not the dev model's nor the client's (elsewhere in production)."""
    return sum(per_unit[role] for role in ("web", "worker", "pg", "redis"))


def measure_configuration(
    stack: BenchStack, meters: Meters, keys: list[str], webs: int, workers: int
) -> dict[str, Any]:
    from django.db.models import Max, Min
    from django.utils import timezone

    from product.jobs.models import Job

    log(f"{webs} webs x {workers} workers")
    scale_to(stack, "web", webs)
    scale_to(stack, "worker", workers)
    targets = [("127.0.0.1", stack.web_ports[f"web{n}"]) for n in range(webs)]

    # Jobs: warm every web and worker first (a real deployment is warm), then the timed batch.
    run_load_generator(
        {
            "mode": "ask",
            "targets": targets,
            "keys": keys,
            "concurrency": webs * 2,
            "jobs": webs * 4 * workers,
            "latency_ms": MODEL_LATENCY_MS,
        }
    )
    wait_for_jobs(Job.objects.all(), timeout=60)
    log(f"warm; {JOBS} jobs")
    since = timezone.now()
    meters.start()
    load = run_load_generator(
        {
            "mode": "ask",
            "targets": targets,
            "keys": keys,
            "concurrency": CONCURRENCY,
            "jobs": JOBS,
            "latency_ms": MODEL_LATENCY_MS,
        }
    )
    batch = Job.objects.filter(created_at__gte=since)
    wait_for_jobs(batch, timeout=300)
    used = meters.stop()
    accepted = load["statuses"].get(202, 0)
    succeeded = batch.filter(status=Job.Status.SUCCEEDED).count()
    if accepted != JOBS or succeeded != JOBS:
        raise SystemExit(f"{webs}x{workers}: {load['statuses']} answers, {succeeded} succeeded")
    span = batch.aggregate(first=Min("created_at"), last=Max("finished_at"))
    jobs_s = JOBS / (span["last"] - span["first"]).total_seconds()
    job_cpu = per_unit_ms(used, JOBS, load["client_cpu_s"])
    job_busy = used["machine_busy"]

    # Requests: the authenticated list over every web.
    log(f"{jobs_s:.1f} jobs/s; {SECONDS:.0f} s of {LIST_PATH}")
    meters.start()
    load = run_load_generator(
        {
            "mode": "list",
            "targets": targets,
            "keys": keys,
            "concurrency": CONCURRENCY,
            "seconds": SECONDS,
        }
    )
    used = meters.stop()
    ok = load["statuses"].get(200, 0)
    if ok != sum(load["statuses"].values()):
        raise SystemExit(f"{webs}x{workers}: list answered {load['statuses']}")
    request_cpu = per_unit_ms(used, ok, load["client_cpu_s"])
    cores = os.cpu_count() or 1
    return {
        "bench": "scaleout",
        "webs": webs,
        "workers": workers,
        "jobs_s": round(jobs_s, 1),
        "rps": round(ok / load["elapsed_s"], 1),
        # What the machine's cores could carry if Keel (web, worker, Postgres, Redis) had them
        # all, from CPU per unit. Measured close to it: the cores bend the curve, not a lock.
        "jobs_s_if_cpu_bound": round(cores * 1000 / keel_cpu_ms(job_cpu), 1),
        "rps_if_cpu_bound": round(cores * 1000 / keel_cpu_ms(request_cpu), 1),
        "job_cpu_ms": job_cpu,
        "request_cpu_ms": request_cpu,
        "machine_busy_jobs": round(job_busy, 2),
        "machine_busy_requests": round(used["machine_busy"], 2),
    }


def log(text: str) -> None:
    print(f"[scaleout {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def wait_for_jobs(jobs: Any, *, timeout: float) -> None:
    from product.jobs.models import Job

    deadline = time.monotonic() + timeout
    while jobs.exclude(status__in=Job.FINISHED).exists():
        if time.monotonic() > deadline:
            left = jobs.exclude(status__in=Job.FINISHED).count()
            raise SystemExit(f"{left} jobs not finished within {timeout:.0f} s")
        time.sleep(0.1)


# --- the kill phase ---------------------------------------------------------------------------


class Webs:
    """The webs a client may use; a web whose connection broke is set aside, as a balancer's health
    check would."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = dict(urls)
        self.down: set[str] = set()
        self._next = 0

    def pick(self, *, avoid: str = "") -> str:
        alive = [n for n in self.urls if n not in self.down and n != avoid] or [
            n for n in self.urls if n not in self.down
        ]
        self._next += 1
        return alive[self._next % len(alive)]


async def submit_jobs(
    client: Any, webs: Webs, keys: list[str], stop: asyncio.Event, tally: dict[str, list[str]]
) -> None:
    """POST jobs until told to stop; a POST the kill cut goes again, same key, to another web."""
    import httpx

    n = 0
    while not stop.is_set():
        n += 1
        key = keys[n % len(keys)]
        idempotency_key = str(uuid.uuid4())
        body = {"text": f"{KILL_JOB_PROMPT} Job {idempotency_key}", "task": "summarise"}
        web = webs.pick()
        for _ in range(6):
            try:
                response = await client.post(
                    f"{webs.urls[web]}/api/v1/questions",
                    json=body,
                    headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key},
                )
            except httpx.TransportError:
                webs.down.add(web)
                web = webs.pick(avoid=web)
                tally["resent"].append(idempotency_key)
                continue
            if response.status_code == 202:
                tally["accepted"].append(response.json()["job"]["id"])
                break
            if response.status_code == 409:  # the cut request still holds its key: wait
                await asyncio.sleep(0.5)
                continue
            response.raise_for_status()
        else:
            tally["unanswered"].append(idempotency_key)
        await asyncio.sleep(0.15)


async def follow_stream(
    client: Any, webs: Webs, web: str, key: str, message_id: str, state: dict[str, Any]
) -> None:
    """Read one reply's SSE stream to its end; on a cut, resume on another web with Last-Event-ID.

    `text` is what a page would show: deltas appended, cleared by `reset`.
    """
    import httpx

    path = f"/api/v1/messages/{message_id}/stream"
    state.update(text="", cursor="", deltas=0, resets=0, reconnects=0, webs=[web], final=None)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        headers = {"Authorization": f"Bearer {key}"}
        if state["cursor"]:
            headers["Last-Event-ID"] = state["cursor"]
        try:
            async with client.stream("GET", webs.urls[web] + path, headers=headers) as response:
                response.raise_for_status()
                event: dict[str, str] = {}
                async for line in response.aiter_lines():
                    if line:
                        field, _, value = line.partition(": ")
                        event[field] = value
                        continue
                    if event.get("id"):
                        state["cursor"] = event["id"]
                    kind, data = event.get("event"), event.get("data")
                    event = {}
                    if kind == "delta" and data:
                        state["text"] += json.loads(data)["text"]
                        state["deltas"] += 1
                    elif kind == "reset":
                        state["text"] = ""
                        state["resets"] += 1
                    elif kind in ("done", "error"):
                        state["final"] = {"event": kind, **json.loads(data or "{}")}
                        return
        except httpx.TransportError:
            webs.down.add(web)
        # Cut (the web died) or ended with a retry hint: come back to another web.
        state["reconnects"] += 1
        web = webs.pick(avoid=web)
        state["webs"].append(web)
        await asyncio.sleep(0.2)
    raise RuntimeError(f"stream {message_id} did not end within 120 s")


async def kill_scenario(
    stack: BenchStack, keys: list[str], victim_web: str, victim_worker: str
) -> dict[str, Any]:
    import httpx

    webs = Webs({name: stack.url_of(name) for name in ("web0", "web1")})
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=60), limits=limits) as client:
        stop = asyncio.Event()
        tally: dict[str, list[str]] = {"accepted": [], "resent": [], "unanswered": []}
        submitters = [
            asyncio.create_task(submit_jobs(client, webs, keys, stop, tally))
            for _ in range(KILL_SUBMITTERS)
        ]
        # The streams: one conversation each (a workspace each, so replies do not queue on one
        # budget lock), all read from the web that is about to die.
        streams: list[tuple[str, dict[str, Any]]] = []
        readers = []
        for n in range(STREAMS):
            key = keys[n % len(keys)]
            auth = {"Authorization": f"Bearer {key}"}
            base = webs.urls["web1"]
            created = await client.post(
                f"{base}/api/v1/conversations", json={"title": "kill"}, headers=auth
            )
            created.raise_for_status()
            sent = await client.post(
                f"{base}/api/v1/conversations/{created.json()['id']}/messages",
                json={"text": KILL_STREAM_PROMPT},
                headers=auth,
            )
            sent.raise_for_status()
            state: dict[str, Any] = {"deltas": 0}
            message_id = sent.json()["reply"]["id"]
            streams.append((message_id, state))
            readers.append(
                asyncio.create_task(follow_stream(client, webs, victim_web, key, message_id, state))
            )
        # Kill once every stream is well under way (and jobs are mid-call on both workers).
        deadline = time.monotonic() + 30
        while min(s["deltas"] for _, s in streams) < KILL_AFTER_DELTAS:
            if time.monotonic() > deadline:
                raise SystemExit("streams did not start within 30 s")
            await asyncio.sleep(0.05)
        jobs_before_kill = len(tally["accepted"])
        log(f"kill -9 {victim_web} and {victim_worker}")
        await asyncio.to_thread(stack.kill, victim_web)
        await asyncio.to_thread(stack.kill, victim_worker)
        killed_at = time.monotonic()
        await asyncio.sleep(4)
        stop.set()
        await asyncio.gather(*submitters)
        await asyncio.gather(*readers)
        streams_ended_s = time.monotonic() - killed_at
    return {
        "accepted": tally["accepted"],
        "resent": tally["resent"],
        "unanswered": tally["unanswered"],
        "streams": streams,
        "jobs_before_kill": jobs_before_kill,
        "streams_ended_s": streams_ended_s,
        "killed_at": killed_at,
    }


def check_kill(outcome: dict[str, Any], since: Any) -> dict[str, Any]:
    """What the database says after the kill: the guarantees, counted."""
    from django.db.models import Count, Q

    from product.chat.models import Message
    from product.jobs.models import Job
    from product.llm.models import BudgetReservation, LLMCall

    phase_jobs = Job.objects.filter(created_at__gte=since)
    try:
        wait_for_jobs(phase_jobs, timeout=60)
    except SystemExit as exc:
        print(f"kill phase: {exc}", file=sys.stderr)  # counted below as lost
    drained_s = time.monotonic() - outcome["killed_at"]
    accepted = set(outcome["accepted"])
    reply_jobs = {
        str(job_id)
        for job_id in Message.objects.filter(pk__in=[m for m, _ in outcome["streams"]]).values_list(
            "job_id", flat=True
        )
    }
    watched = accepted | reply_jobs
    succeeded = {
        str(pk)
        for pk in phase_jobs.filter(status=Job.Status.SUCCEEDED).values_list("pk", flat=True)
    }
    others_not_succeeded = (
        phase_jobs.exclude(pk__in=watched).exclude(status=Job.Status.SUCCEEDED).count()
    )
    charged = dict(
        phase_jobs.annotate(
            charges=Count("llm_calls", filter=Q(llm_calls__status=LLMCall.Status.SUCCEEDED))
        ).values_list("pk", "charges")
    )
    double_charged = sum(1 for n in charged.values() if n > 1)
    uncharged = sum(1 for pk in watched if charged.get(uuid.UUID(pk), 0) == 0)
    reserved = BudgetReservation.objects.filter(
        created_at__gte=since, status=BudgetReservation.Status.RESERVED
    ).count()
    rerun = phase_jobs.filter(attempts__gt=1).count()
    complete = 0
    for message_id, state in outcome["streams"]:
        message = Message.objects.get(pk=message_id)
        final = state["final"] or {}
        same = (
            final.get("event") == "done"
            and message.status == Message.Status.DONE
            and state["text"] == message.text
            and (final.get("message") or {}).get("text") == message.text
            and len(state["webs"]) > 1
        )
        if same:
            complete += 1
        else:
            print(
                f"stream {message_id}: {final.get('event')} {message.status}, "
                f"{len(state['text'])} chars read vs {len(message.text)} saved, webs {state['webs']}",
                file=sys.stderr,
            )
    return {
        "jobs_submitted": len(accepted),
        "jobs_submitted_before_kill": outcome["jobs_before_kill"],
        "submits_resent": len(set(outcome["resent"])),
        "submits_unanswered": len(outcome["unanswered"]),
        "jobs_in_phase": phase_jobs.count(),
        # Accepted, but the answer never reached the client (an idempotent replay would find it).
        "jobs_unknown_to_client": phase_jobs.exclude(pk__in=watched).count(),
        "jobs_succeeded": len(accepted & succeeded),
        "jobs_lost": len(watched - succeeded),
        "other_jobs_not_succeeded": others_not_succeeded,
        "jobs_rerun": rerun,
        "double_charged": double_charged,
        "uncharged": uncharged,
        "reservations_held": reserved,
        "streams": len(outcome["streams"]),
        "streams_resumed_complete": complete,
        "stream_reconnects": sum(s["reconnects"] for _, s in outcome["streams"]),
        # Streams whose reply ran on the killed worker: re-run elsewhere, they started over.
        "streams_reset": sum(1 for _, s in outcome["streams"] if s["resets"]),
        "streams_ended_s": round(outcome["streams_ended_s"], 1),
        "all_done_s": round(drained_s, 1),
    }


def kill_phase(stack: BenchStack, keys: list[str]) -> dict[str, Any]:
    from django.utils import timezone

    # The webs need none of the fast reaper's settings: two of the matrix's are kept.
    scale_to(stack, "web", 2)
    for name in [n for n in stack.processes if n.startswith("worker")]:
        stack.stop_process(name)
    for n in range(2):
        stack.start_worker(concurrency=WORKER_THREADS, name=f"worker{n}", env=FAST_REAPER)
    stack.start_beat(env=FAST_REAPER)
    log("kill phase: 2 webs, 2 workers, beat")
    since = timezone.now()
    outcome = asyncio.run(kill_scenario(stack, keys, "web0", "worker0"))
    return {"bench": "scaleout_kill", **check_kill(outcome, since)}


def kill_failures(result: dict[str, Any]) -> list[str]:
    failures = [
        name
        for name in (
            "jobs_lost",
            "other_jobs_not_succeeded",
            "double_charged",
            "uncharged",
            "reservations_held",
            "submits_unanswered",
        )
        if result[name]
    ]
    if result["streams_resumed_complete"] != result["streams"]:
        failures.append("streams_resumed_complete")
    return failures


# --- main -------------------------------------------------------------------------------------


def make_keys(stack: BenchStack) -> list[str]:
    """A user, a workspace and a read/write key in each of WORKSPACES workspaces."""
    from product.accounts.models import User
    from product.accounts.services import create_personal_workspace
    from product.apikeys.services import create_api_key

    keys = []
    for n in range(WORKSPACES):
        user = User.objects.create_user(f"bench{n}@example.com", "bench-password-123")
        workspace = create_personal_workspace(user=user)
        membership = workspace.memberships.get(user=user)
        for k in range(3):  # the list endpoint returns a page of them
            created = create_api_key(
                membership=membership, name=f"key {k}", scopes=["read", "write"]
            )
        keys.append(created.full_key)
    return keys


def main() -> None:
    if not (
        os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")
    ):
        # Several processes on SQLite and the embedded broker is not a deployment anyone scales.
        print_result({"bench": "scaleout", "skipped": "needs Postgres and Redis"})
        return
    redis_db = int(os.environ.get("BENCH_REDIS_DB", "13"))
    # The Postgres may be shared (max_connections 100 on the development one): 8 pooled
    # connections per process are plenty (a job holds one for milliseconds, never while the model
    # thinks) and keep 4 webs + 4 workers under that limit.
    env = {"DATABASE_POOL_MAX": os.environ.get("DATABASE_POOL_MAX", "8")}
    with BenchStack(redis_db=redis_db, extra_env=env, own_redis=True) as stack:
        stack.start_devmodel(ttft_ms=0)
        stack.setup_django()
        keys = make_keys(stack)
        meters = Meters(stack, PostgresBackendsCpu(stack._admin_url, stack._db_name))
        curve = []
        for row, webs in enumerate(WEBS):
            # Up the worker counts, then down: each step starts or stops as few workers as it can.
            for workers in WORKERS if row % 2 == 0 else WORKERS[::-1]:
                point = measure_configuration(stack, meters, keys, webs, workers)
                print_result(point)
                curve.append(point)
        curve.sort(key=lambda p: (p["webs"], p["workers"]))
        kill: dict[str, Any] | None = None
        if KILL:
            kill = kill_phase(stack, keys)
            print_result(kill)
    result: dict[str, Any] = {
        "bench": "scaleout",
        "cpu_count": os.cpu_count(),
        "jobs": JOBS,
        "seconds": SECONDS,
        "model_latency_ms": MODEL_LATENCY_MS,
        "curve": [
            {
                "webs": p["webs"],
                "workers": p["workers"],
                "jobs_s": p["jobs_s"],
                "rps": p["rps"],
                "jobs_s_cpu_bound": p["jobs_s_if_cpu_bound"],
                "rps_cpu_bound": p["rps_if_cpu_bound"],
                "job_cpu_ms": round(keel_cpu_ms(p["job_cpu_ms"]), 2),
                "request_cpu_ms": round(keel_cpu_ms(p["request_cpu_ms"]), 2),
                "busy": [p["machine_busy_jobs"], p["machine_busy_requests"]],
            }
            for p in curve
        ],
        "load_avg_1m": round(os.getloadavg()[0], 1),
    }
    failures: list[str] = []
    if kill is not None:
        keep = (
            "jobs_submitted",
            "jobs_succeeded",
            "jobs_lost",
            "double_charged",
            "uncharged",
            "reservations_held",
            "jobs_rerun",
            "submits_resent",
            "streams",
            "streams_reset",
            "streams_resumed_complete",
            "all_done_s",
        )
        result["kill"] = {name: kill[name] for name in keep}
        failures = kill_failures(kill)
        result["kill"]["failed"] = failures
    print_result(result)
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--load":
        print(json.dumps(asyncio.run(_generate(json.loads(sys.argv[2])))), flush=True)
    else:
        main()
