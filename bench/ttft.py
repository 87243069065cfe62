"""Time to first token through the whole chat path, minus the dev model server's own.

The path: API `POST /conversations/{id}/messages` (auth, quota reservation, rows, enqueue on
commit) -> Celery worker (threads) claims the chat.reply job -> gateway streams from the dev model
server -> XADD to the message's Redis Stream -> the SSE view's XREAD wakes -> first `delta` event at
the client. The baseline is the dev model server's own TTFT, measured directly at the same
concurrency. overhead = path TTFT - baseline median, per stream.

Prints one JSON line per level (1, 10, 50 concurrent streams), then a summary line last:
{"bench":"ttft","streams":N,"overhead_ms_p50":...,"overhead_ms_p95":...,"p50_at_10_ms":...,
 "p50_goal_ms":30,"p95_at_50_ms":...,"p95_goal_ms":100,"goal_met":...,"web_cpu_ms_per_send":...,
 "worker_cpu_ms_per_reply":...,"queries_per_send":...,"queries_per_reply":...}
(goals: p50 <= 30 ms at 10 streams, p95 <= 100 ms at 50).

Times depend on how busy the machine is; CPU per send (the web processes, whose work is the POST
and the SSE stream) and per reply (the worker) are the stable numbers. Queries are counted in this
process with CaptureQueriesContext: one send through the API (Django's test client), and its reply
run as the worker runs it (jobs.run_job), with the broker held back so no worker races for it
(the job thread's queries; stream entries the coalescing thread appends are not among them).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, cpu_seconds, print_result  # noqa: E402
from _profile import maybe_profile, summarise  # noqa: E402

P50_GOAL_MS = 30.0
P95_GOAL_MS = 100.0
LEVELS = [int(n) for n in os.environ.get("BENCH_TTFT_LEVELS", "1,10,50").split(",")]
ROUNDS = int(os.environ.get("BENCH_TTFT_ROUNDS", "3"))
PROMPT = "[[tokens: 60]] [[delay_ms: 10]]"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


# The Redis db the stack flushes and uses: REDIS_URL's own db (so parallel runs never share one).
REDIS_DB = (
    int(os.environ.get("REDIS_URL", "").rsplit("/", 1)[-1] or 12)
    if os.environ.get("REDIS_URL")
    else 12
)
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))


def start_web(stack: BenchStack) -> None:
    """uvicorn with several worker processes, as production runs it (one per core or two): one
    process's GIL would otherwise be the bottleneck for 50 concurrent sends and streams.

    uvicorn kills a worker that does not answer its supervisor's ping within 5 s; on a loaded
    2-core machine a worker busy with 50 streams missed it, was restarted mid-run (its requests
    cut: httpx.ReadError) and paid its start-up again (imports, the tokenizer), which the CPU per
    send then counted. The bench allows 60 s and reports any restart (`web_restarts`)."""
    stack.env.setdefault("UVICORN_TIMEOUT_WORKER_HEALTHCHECK", "60")
    stack.start_web(workers=WEB_WORKERS)


def web_workers(pid: int) -> set[int]:
    try:
        return {
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        }
    except OSError:
        return set()


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and its children (uvicorn's workers are children of its supervisor)."""
    total = cpu_seconds(pid)
    for child in web_workers(pid):
        try:
            total += cpu_seconds(child)
        except OSError:
            continue
    return total


def count_queries(key: str) -> dict[str, int]:
    """Queries of one send (the API POST, the conversation already has an exchange) and of its
    reply's job, counted in this process (the stack's database, the same code)."""
    from unittest import mock

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    import worker.celery  # noqa: F401 (the app the jobs' tasks are sent with)
    from product.chat.models import Message
    from product.jobs import services as job_services
    from product.jobs.tasks import run_job

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")
    created = client.post("/api/v1/conversations", {"title": "count"}, "application/json")
    url = f"/api/v1/conversations/{created.json()['id']}/messages"
    counted: dict[str, int] = {}
    for turn in range(2):
        with mock.patch.object(run_job, "apply_async"), CaptureQueriesContext(connection) as sent:
            response = client.post(url, {"text": PROMPT}, "application/json")
        assert response.status_code == 202, response.content
        reply_id = response.json()["reply"]["id"]
        reply_job = Message.objects.get(pk=reply_id).job_id
        assert reply_job is not None
        with CaptureQueriesContext(connection) as replied:
            job_services.run_job(reply_job)
        if turn == 1:  # the second turn: history, no title job pending
            counted = {
                "queries_per_send": len(sent.captured_queries),
                "queries_per_reply": len(replied.captured_queries),
            }
    return counted


def make_api_key(stack: BenchStack) -> str:
    """A user, a workspace and a key, made through the services in this process."""
    stack.setup_django()
    from product.accounts.models import Membership, User
    from product.accounts.services import create_personal_workspace
    from product.apikeys.services import create_api_key

    user = User.objects.create_user("bench@example.com", "bench-password-123")
    workspace = create_personal_workspace(user=user)
    membership = Membership.objects.get(user=user, workspace=workspace)
    created = create_api_key(membership=membership, name="bench", scopes=["read", "write"])
    return created.full_key


async def create_conversation(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/conversations", json={"title": "bench"})
    response.raise_for_status()
    return str(response.json()["id"])


async def post_message(
    client: httpx.AsyncClient, conversation_id: str, text: str
) -> httpx.Response:
    """POST once; a keep-alive connection the server closed just as it was reused (uvicorn's
    5 s keep-alive on a busy machine) is tried again on a new one. A request the server did get
    would make the retry a 409 (a reply is running): the bench fails rather than count it."""
    for attempt in range(3):
        try:
            sent = await client.post(
                f"/api/v1/conversations/{conversation_id}/messages", json={"text": text}
            )
        except (httpx.ReadError, httpx.RemoteProtocolError):
            if attempt == 2:
                raise
            continue
        sent.raise_for_status()
        return sent
    raise AssertionError("unreachable")


@dataclass
class _Timing:
    """When a stream's deltas arrived and how much text they carried."""

    first: float | None = None
    last: float | None = None
    deltas: int = 0
    chars: int = 0
    first_chars: int = 0

    def add(self, chars: int) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first, self.first_chars = now, chars
        self.last = now
        self.deltas += 1
        self.chars += chars

    def result(self, started: float) -> dict[str, Any]:
        assert self.first is not None and self.last is not None
        return {
            "ttft_s": self.first - started,
            "first": self.first,
            "last": self.last,
            "deltas": self.deltas,
            "chars": self.chars,
            "chars_after_first": self.chars - self.first_chars,
        }


async def chat_once(client: httpx.AsyncClient, conversation_id: str, text: str) -> dict[str, Any]:
    """POST a message, follow its SSE stream to `done`; times relative to the POST."""
    started = time.perf_counter()
    sent = await post_message(client, conversation_id, text)
    answered = time.perf_counter()
    stream_url = sent.json()["stream_url"]
    timing = _Timing()
    event = ""
    async with client.stream("GET", stream_url) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                if event == "delta":
                    timing.add(len(json.loads(line[6:])["text"]))
                elif event in ("done", "error"):
                    if event == "error":
                        raise RuntimeError(f"reply failed: {line}")
                    if timing.first is None:
                        # The reply finished before the stream was opened: its text arrived
                        # here, from the database, in one piece.
                        timing.first = timing.last = time.perf_counter()
                    break
    return {**timing.result(started), "post_s": answered - started}


async def direct_once(base_url: str, text: str) -> dict[str, Any]:
    """The same request straight to the dev model server (no Keel in between)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        started = time.perf_counter()
        timing = _Timing()
        body = {
            "model": "keel-dev-small",
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": text}],
        }
        async with client.stream("POST", "/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                if (
                    line.startswith("data: {")
                    and '"content":"' in line
                    and '"content":""' not in line
                ):
                    timing.add(len(json.loads(line[6:])["choices"][0]["delta"]["content"]))
        return timing.result(started)


async def measure(stack: BenchStack, key: str) -> tuple[list[dict[str, Any]], dict[str, float]]:
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
    headers = {"Authorization": f"Bearer {key}"}
    results = []
    async with httpx.AsyncClient(
        base_url=stack.web_url, headers=headers, timeout=60, limits=limits
    ) as client:
        conversations = await asyncio.gather(
            *[create_conversation(client) for _ in range(max(LEVELS))]
        )
        # Warm up every layer and every web process (imports, pools, templates) before timing.
        for _ in range(2):
            await asyncio.gather(*[chat_once(client, c, PROMPT) for c in conversations[:10]])
        devmodel = f"http://127.0.0.1:{stack.devmodel_port}/v1"
        await direct_once(devmodel, PROMPT)
        web_pid, worker_pid = stack.processes["web"].pid, stack.processes["worker"].pid
        web_cpu, worker_cpu, sends = 0.0, 0.0, 0
        workers_before = web_workers(web_pid)
        profilers = {
            name: maybe_profile(pid, stack.tmp / f"{name}.raw")
            for name, pid in [("worker", worker_pid)]
            + [(f"web{n}", pid) for n, pid in enumerate(sorted(workers_before))]
        }
        for level in LEVELS:
            overheads: list[float] = []
            posts: list[float] = []
            baselines: list[float] = []
            for _ in range(ROUNDS):
                direct = await asyncio.gather(
                    *[direct_once(devmodel, PROMPT) for _ in range(level)]
                )
                baseline = statistics.median(d["ttft_s"] for d in direct)
                baselines.append(baseline)
                web_before, worker_before = tree_cpu_seconds(web_pid), cpu_seconds(worker_pid)
                path = await asyncio.gather(
                    *[chat_once(client, conversations[i], PROMPT) for i in range(level)]
                )
                web_cpu += tree_cpu_seconds(web_pid) - web_before
                worker_cpu += cpu_seconds(worker_pid) - worker_before
                sends += level
                overheads += [(p["ttft_s"] - baseline) * 1000 for p in path]
                posts += [p["post_s"] * 1000 for p in path]
            result = {
                "bench": "ttft",
                "streams": level,
                "overhead_ms_p50": round(percentile(overheads, 50), 1),
                "overhead_ms_p95": round(percentile(overheads, 95), 1),
                # How much of the overhead is the POST itself (auth, reservation, rows, enqueue).
                "post_ms_p50": round(percentile(posts, 50), 1),
                "devmodel_ttft_ms_p50": round(statistics.median(baselines) * 1000, 1),
                "samples": len(overheads),
            }
            print_result(result)
            results.append(result)
    profiles: dict[str, object] = {}
    if any(profilers.values()):
        raws = {name: p.stop_raw() for name, p in profilers.items() if p}
        profiles = {
            # uvicorn's worker processes together: the POSTs and the SSE streams.
            "web_profile": summarise("\n".join(r for n, r in raws.items() if n != "worker")),
            "worker_profile": summarise(raws["worker"]),
        }
    cpu = {
        **profiles,
        # Each send's whole path: the POST and its SSE stream (web), the reply's job (worker).
        "web_cpu_ms_per_send": round(web_cpu / sends * 1000, 1),
        "worker_cpu_ms_per_reply": round(worker_cpu / sends * 1000, 1),
        # Web worker processes that were replaced while timing (their CPU is then miscounted).
        "web_restarts": len(web_workers(web_pid) - workers_before),
    }
    return results, cpu


def main() -> None:
    with BenchStack(redis_db=REDIS_DB) as stack:
        stack.start_devmodel(ttft_ms=0, token_delay_ms=5)
        stack.start_worker(concurrency=200)
        start_web(stack)
        key = make_api_key(stack)
        results, cpu = asyncio.run(measure(stack, key))
        queries = count_queries(key)
    at_10 = next((r for r in results if r["streams"] == 10), results[-1])
    at_50 = next((r for r in results if r["streams"] == 50), results[-1])
    print_result(
        {
            "bench": "ttft",
            "streams": at_50["streams"],
            "overhead_ms_p50": at_10["overhead_ms_p50"],
            "overhead_ms_p95": at_50["overhead_ms_p95"],
            "p50_at_streams": at_10["streams"],
            "p95_at_streams": at_50["streams"],
            "levels": {
                str(r["streams"]): [r["overhead_ms_p50"], r["overhead_ms_p95"]] for r in results
            },
            "p50_at_10_ms": at_10["overhead_ms_p50"],
            "p50_goal_ms": P50_GOAL_MS,
            "p95_at_50_ms": at_50["overhead_ms_p95"],
            "p95_goal_ms": P95_GOAL_MS,
            "goal_met": at_10["overhead_ms_p50"] <= P50_GOAL_MS
            and at_50["overhead_ms_p95"] <= P95_GOAL_MS,
            **cpu,
            **queries,
            "backend": "redis" if stack.env.get("REDIS_URL") else "database",
            "web_workers": WEB_WORKERS,
            "load_avg_1m": round(os.getloadavg()[0], 2),
        }
    )


if __name__ == "__main__":
    main()
