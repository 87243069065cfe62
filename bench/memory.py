"""Resident memory of the web process (uvicorn, ASGI) and the worker (Celery, threads pool -c 200),
idle and with 200 model calls in flight.

The 200 jobs are submitted over the real API (`POST /api/v1/jobs` with an API key, 16 clients at
once); each model call takes 15 s at the dev model server, so all of them are in flight together.
Prints one JSON line last:
{"bench":"memory","web_idle_mb":...,"worker_idle_mb":...,"web_load_mb":...,"worker_load_mb":...,
 "in_flight":200,"idle_total_mb":...,"goal_idle_total_mb":300,"goal_met":true}

The goal (issue 15): web and worker idle together in 300 MB.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, print_result, rss_mb  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "200"))
CALL_S = 15
GOAL_IDLE_TOTAL_MB = 300


def main() -> None:
    with BenchStack(redis_db=int(os.environ.get("BENCH_REDIS_DB", "13"))) as stack:
        stack.start_devmodel(ttft_ms=CALL_S * 1000)
        worker = stack.start_worker(concurrency=200)
        stack.start_web()
        stack.setup_django()

        from django.db import connection

        from product.accounts.models import Membership, User
        from product.accounts.services import create_personal_workspace
        from product.apikeys.services import create_api_key
        from product.jobs.models import Job

        user = User.objects.create_user("memory@example.com", "bench-password-123")
        workspace = create_personal_workspace(user=user)
        membership = Membership.objects.get(user=user, workspace=workspace)
        key = create_api_key(membership=membership, name="bench", scopes=["read", "write"])
        connection.close()
        web = stack.processes["web"]

        def submit(n: int) -> str:
            body = json.dumps({"text": f"[[reply: Answer {n}]]", "task": "summarise"}).encode()
            request = urllib.request.Request(  # noqa: S310 (the local stack)
                f"{stack.web_url}/api/v1/questions",
                data=body,
                method="POST",
                headers={
                    "Authorization": f"Bearer {key.full_key}",
                    "Content-Type": "application/json",
                },
            )
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return str(json.loads(response.read())["job"]["id"])

        # Warm both processes (imports, pools, the model client) before measuring "idle".
        warm = submit(-1)
        while Job.objects.get(pk=warm).status != Job.Status.SUCCEEDED:
            time.sleep(0.2)
        connection.close()
        time.sleep(1)
        web_idle, worker_idle = rss_mb(web.pid), rss_mb(worker.pid)

        peak = {"web": web_idle, "worker": worker_idle, "in_flight": 0}
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak["web"] = max(peak["web"], rss_mb(web.pid))
                peak["worker"] = max(peak["worker"], rss_mb(worker.pid))
                running = Job.objects.filter(status=Job.Status.RUNNING).count()
                peak["in_flight"] = max(peak["in_flight"], running)
                time.sleep(0.25)
            connection.close()

        sampler = threading.Thread(target=sample)
        sampler.start()
        with ThreadPoolExecutor(max_workers=16) as clients:
            ids = list(clients.map(submit, range(CALLS)))
        deadline = time.monotonic() + 120
        while Job.objects.filter(pk__in=ids, status=Job.Status.SUCCEEDED).count() < CALLS:
            if time.monotonic() > deadline:
                raise SystemExit("jobs did not finish within 120 s")
            time.sleep(0.25)
        stop.set()
        sampler.join()
        connection.close()
        idle_total = round(web_idle + worker_idle, 1)
        print_result(
            {
                "bench": "memory",
                "web_idle_mb": web_idle,
                "worker_idle_mb": worker_idle,
                "web_load_mb": peak["web"],
                "worker_load_mb": peak["worker"],
                "in_flight": peak["in_flight"],
                "idle_total_mb": idle_total,
                "goal_idle_total_mb": GOAL_IDLE_TOTAL_MB,
                "goal_met": idle_total <= GOAL_IDLE_TOTAL_MB,
            }
        )


if __name__ == "__main__":
    main()
