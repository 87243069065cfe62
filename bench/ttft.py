"""Time to first token through the whole chat path, minus the dev model server's own.

The path: API `POST /conversations/{id}/messages` (auth, quota reservation, rows, enqueue on
commit) -> Celery worker (threads) claims the chat.reply job -> gateway streams from the dev model
server -> XADD to the message's Redis Stream -> the SSE view's XREAD wakes -> first `delta` event at
the client. The baseline is the dev model server's own TTFT, measured directly at the same
concurrency. overhead = path TTFT - baseline median, per stream.

Prints one JSON line per level (1, 10, 50 concurrent streams), then a summary line last:
{"bench":"ttft","streams":N,"overhead_ms_p50":...,"overhead_ms_p95":...}
(goals: p50 <= 30 ms at 10 streams, p95 <= 100 ms at 50).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, print_result  # noqa: E402

LEVELS = [int(n) for n in os.environ.get("BENCH_TTFT_LEVELS", "1,10,50").split(",")]
ROUNDS = int(os.environ.get("BENCH_TTFT_ROUNDS", "3"))
PROMPT = "[[tokens: 60]] [[delay_ms: 10]]"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))


def start_web(stack: BenchStack) -> None:
    """uvicorn with several worker processes, as production runs it (one per core or two): one
    process's GIL would otherwise be the bottleneck for 50 concurrent sends and streams."""
    stack.start_web(workers=WEB_WORKERS)


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


async def chat_once(client: httpx.AsyncClient, conversation_id: str, text: str) -> dict[str, Any]:
    """POST a message, follow its SSE stream to `done`; times relative to the POST."""
    started = time.perf_counter()
    sent = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"text": text}
    )
    sent.raise_for_status()
    stream_url = sent.json()["stream_url"]
    first: float | None = None
    last: float | None = None
    deltas = 0
    event = ""
    async with client.stream("GET", stream_url) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                if event == "delta":
                    now = time.perf_counter()
                    first = first if first is not None else now
                    last = now
                    deltas += 1
                elif event in ("done", "error"):
                    if event == "error":
                        raise RuntimeError(f"reply failed: {line}")
                    if first is None:
                        # The reply finished before the stream was opened: its text arrived
                        # here, from the database, in one piece.
                        first = last = time.perf_counter()
                    break
    assert first is not None and last is not None
    return {"ttft_s": first - started, "first": first, "last": last, "deltas": deltas}


async def direct_once(base_url: str, text: str) -> dict[str, Any]:
    """The same request straight to the dev model server (no Keel in between)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        started = time.perf_counter()
        first: float | None = None
        last: float | None = None
        deltas = 0
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
                    now = time.perf_counter()
                    first = first if first is not None else now
                    last = now
                    deltas += 1
        assert first is not None and last is not None
        return {"ttft_s": first - started, "first": first, "last": last, "deltas": deltas}


async def measure(stack: BenchStack, key: str) -> list[dict[str, Any]]:
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
        for level in LEVELS:
            overheads: list[float] = []
            baselines: list[float] = []
            for _ in range(ROUNDS):
                direct = await asyncio.gather(
                    *[direct_once(devmodel, PROMPT) for _ in range(level)]
                )
                baseline = statistics.median(d["ttft_s"] for d in direct)
                baselines.append(baseline)
                path = await asyncio.gather(
                    *[chat_once(client, conversations[i], PROMPT) for i in range(level)]
                )
                overheads += [(p["ttft_s"] - baseline) * 1000 for p in path]
            result = {
                "bench": "ttft",
                "streams": level,
                "overhead_ms_p50": round(percentile(overheads, 50), 1),
                "overhead_ms_p95": round(percentile(overheads, 95), 1),
                "devmodel_ttft_ms_p50": round(statistics.median(baselines) * 1000, 1),
                "samples": len(overheads),
            }
            print_result(result)
            results.append(result)
    return results


def main() -> None:
    with BenchStack(redis_db=12) as stack:
        stack.start_devmodel(ttft_ms=0, token_delay_ms=5)
        stack.start_worker(concurrency=200)
        start_web(stack)
        key = make_api_key(stack)
        results = asyncio.run(measure(stack, key))
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
            "backend": "redis" if stack.env.get("REDIS_URL") else "database",
            "web_workers": WEB_WORKERS,
        }
    )


if __name__ == "__main__":
    main()
