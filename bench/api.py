"""Requests/s of an authenticated list endpoint vs a bare ninja ping, same uvicorn server, same run.

`GET /api/v1/keys` does everything a real API read does: parse the bearer key, look it up by its
prefix (one indexed query, SHA-256 compare), count it against the per-key rate limit in Redis
(or the cache), read a page of rows with the cursor paginator and serialise them. `GET /api/v1/ping`
is ninja with no auth and no database. Both go through the whole middleware stack on one uvicorn
worker with DEBUG off; the load generator is a tiny keep-alive HTTP/1.1 client on asyncio, so the
client costs little of the machine's CPU. ratio = list rps / ping rps (goal >= 0.5).
queries_per_list counts the SQL statements of one list request once the key is known (the
verified-key cache, product/apikeys/cache.py), made in this process against the same database
and cache as the server.

Prints one JSON line last:
{"bench":"api","ratio":...,"goal_ratio":0.5,"goal_met":...,"rps":...,"ping_rps":...,
 "ping_cpu_ms":...,"list_cpu_ms":...,"cpu_ratio":...,"queries_per_list":...,"concurrency":...,
 "seconds":...}
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, cpu_seconds, print_result, read_http_response  # noqa: E402

CONCURRENCY = int(os.environ.get("BENCH_API_CONCURRENCY", "16"))
SECONDS = float(os.environ.get("BENCH_API_SECONDS", "8"))
WARMUP_S = 2.0
GOAL_RATIO = 0.5
LIST_PATH = "/api/v1/keys?limit=20"
PRODUCTION_ENV = {
    # Production-like: DEBUG off (no query log, no debug pages).
    "DEBUG": "false",
    "SECRET_KEY": "bench-secret-key-that-is-long-enough-and-not-insecure-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "EMAIL_URL": "consolemail://",
    "SECURE_SSL_REDIRECT": "false",
    "API_RATE_LIMIT_PER_MINUTE": "100000000",
}


async def _worker(host: str, port: int, request: bytes, stop_at: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < stop_at:
            writer.write(request)
            await writer.drain()
            status, head, _body = await read_http_response(reader)
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {head[:200]!r}")
            counts[0] += 1
    finally:
        writer.close()


async def _load(host: str, port: int, request: bytes, seconds: float) -> float:
    counts = [0]
    started = time.monotonic()
    stop_at = started + seconds
    await asyncio.gather(
        *(_worker(host, port, request, stop_at, counts) for _ in range(CONCURRENCY))
    )
    return counts[0] / (time.monotonic() - started)


def measure(port: int, path: str, headers: dict[str, str]) -> tuple[float, int]:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    asyncio.run(_load("127.0.0.1", port, request, WARMUP_S))
    rps = asyncio.run(_load("127.0.0.1", port, request, SECONDS))
    return rps, round(rps * SECONDS)


def queries_per_list(auth: dict[str, str]) -> int:
    """SQL statements of one list request in steady state (the second of two)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=auth["Authorization"])
    assert client.get(LIST_PATH).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST_PATH).status_code == 200
    return len(queries.captured_queries)


def main() -> None:
    with BenchStack(redis_db=12, extra_env=PRODUCTION_ENV) as stack:
        stack.start_web()
        for name, value in PRODUCTION_ENV.items():
            os.environ[name] = value
        stack.setup_django()
        from product.accounts.models import User
        from product.accounts.services import create_personal_workspace
        from product.apikeys.services import create_api_key

        user = User.objects.create_user("bench@example.com", "bench-password-123")
        workspace = create_personal_workspace(user=user)
        membership = workspace.memberships.get(user=user)
        keys = [
            create_api_key(membership=membership, name=f"key {n}", scopes=["read", "write"])
            for n in range(20)
        ]
        auth = {"Authorization": f"Bearer {keys[0].full_key}"}

        # Interleave (ping, list, ping, list) so drift in the machine's load hits both alike.
        # The server's own CPU per request says how much of the gap is work, not machine load.
        web_pid = stack.processes["web"].pid
        ping_runs, list_runs = [], []
        cpu = {"ping": [0.0, 0], "list": [0.0, 0]}
        for _ in range(2):
            for name, path, headers in [
                ("ping", "/api/v1/ping", {}),
                ("list", LIST_PATH, auth),
            ]:
                before = cpu_seconds(web_pid)
                rps, count = measure(stack.web_port, path, headers)
                cpu[name][0] += cpu_seconds(web_pid) - before
                cpu[name][1] += count
                (ping_runs if name == "ping" else list_runs).append(rps)
            print(
                f"ping {ping_runs[-1]:.0f} rps, authenticated list {list_runs[-1]:.0f} rps",
                flush=True,
            )
        ping_rps = sum(ping_runs) / len(ping_runs)
        list_rps = sum(list_runs) / len(list_runs)
        # (warm-up requests are not counted, so these slightly overstate the CPU per request)
        ping_cpu_ms = 1000 * cpu["ping"][0] / max(1, cpu["ping"][1])
        list_cpu_ms = 1000 * cpu["list"][0] / max(1, cpu["list"][1])
        ratio = round(list_rps / ping_rps, 3)
        print_result(
            {
                "bench": "api",
                "ratio": ratio,
                "goal_ratio": GOAL_RATIO,
                "goal_met": ratio >= GOAL_RATIO,
                "rps": round(list_rps, 1),
                "ping_rps": round(ping_rps, 1),
                "ping_cpu_ms": round(ping_cpu_ms, 2),
                "list_cpu_ms": round(list_cpu_ms, 2),
                # The ratio the CPU alone allows (what `ratio` tends to on an idle machine, where
                # the web process is the bottleneck); `ratio` drifts when other load starves it.
                "cpu_ratio": round(ping_cpu_ms / list_cpu_ms, 3) if list_cpu_ms else None,
                "queries_per_list": queries_per_list(auth),
                "load_avg": round(os.getloadavg()[0], 1),
                "concurrency": CONCURRENCY,
                "seconds": SECONDS,
                "database": "postgres" if stack.database_url.startswith("postgres") else "sqlite",
            }
        )


if __name__ == "__main__":
    main()
