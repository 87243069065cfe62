"""200 "Ask once" jobs against the dev model server at 2 s latency each, one worker process.

The worker runs the `llm` queue on a threads pool with -c 200, as in production. Jobs are submitted
through the service (quota checked, budget reserved) in one transaction, so the path is the
product's own. Makespan is from the commit that enqueues them to the last job written as
succeeded; ratio = makespan / latency (goal <= 1.25: 200 calls overlap almost perfectly in one
process).

`cpu_floor_ratio` is the ratio the worker's CPU alone allows: one process runs its Python one
thread at a time (the GIL), so however well the 200 waits overlap, the makespan cannot be shorter
than the 200 jobs' CPU laid end to end. A ratio near it says the worker is CPU-bound and only less
CPU per job (or more processes) moves it.

Prints one JSON line last:
{"bench":"concurrency","calls":200,"latency_s":2,"makespan_s":...,"ratio":...,
 "worker_cpu_ms_per_job":...,"cpu_floor_ratio":...}
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, cpu_seconds, print_result  # noqa: E402
from _profile import maybe_profile  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "200"))
LATENCY_S = 2
GOAL_RATIO = 1.25


def main() -> None:
    with BenchStack(redis_db=int(os.environ.get("BENCH_REDIS_DB", "13"))) as stack:
        # The whole latency is time to first token: one delta, like a short real answer.
        stack.start_devmodel(ttft_ms=LATENCY_S * 1000)
        stack.start_worker(concurrency=200)
        stack.setup_django()

        from django.db import connection, transaction

        from product.accounts.models import User
        from product.accounts.services import create_personal_workspace
        from product.ask.services import submit_question
        from product.jobs.models import Job

        user = User.objects.create_user("bench@example.com", "bench-password-123")
        workspace = create_personal_workspace(user=user)
        # Warm the worker's client and pool: a real deployment is warm too.
        warm = submit_question(workspace=workspace, user=user, text="warm up", task="summarise").job
        while Job.objects.get(pk=warm.pk).status != Job.Status.SUCCEEDED:
            time.sleep(0.1)

        # Accept all jobs in one transaction: their messages go to the broker together at commit,
        # so the makespan measures the worker, not how fast one client can POST.
        worker_pid = stack.processes["worker"].pid
        profiler = maybe_profile(worker_pid, stack.tmp / "worker.raw")
        cpu_before = cpu_seconds(worker_pid)
        submit_started = time.monotonic()
        with transaction.atomic():
            ids = [
                submit_question(
                    workspace=workspace, user=user, text=f"[[reply: Answer {n}]]", task="summarise"
                ).job.pk
                for n in range(CALLS)
            ]
            started = time.monotonic()
        # Leaving the block commits; on_commit hands the 200 ids to the broker, one by one.
        enqueued_s = time.monotonic() - started
        submitted_s = started - submit_started
        pending = Job.objects.filter(pk__in=ids).exclude(status__in=Job.FINISHED)
        deadline = started + 120
        while pending.exists():
            if time.monotonic() > deadline:
                raise SystemExit("jobs did not finish within 120 s")
            time.sleep(0.05)
        makespan = time.monotonic() - started
        worker_cpu = cpu_seconds(worker_pid) - cpu_before
        profile = profiler.stop() if profiler else None
        succeeded = Job.objects.filter(pk__in=ids, status=Job.Status.SUCCEEDED).count()
        connection.close()
        if succeeded != CALLS:
            failed = Job.objects.filter(pk__in=ids).exclude(status=Job.Status.SUCCEEDED).first()
            raise SystemExit(
                f"only {succeeded}/{CALLS} succeeded; e.g. {failed and failed.error_message}"
            )
        print(f"submitted {CALLS} jobs in {submitted_s:.2f} s", file=sys.stderr)
        rows = list(
            Job.objects.filter(pk__in=ids).values_list("started_at", "finished_at", "created_at")
        )
        first = min(r[2] for r in rows)
        waits = sorted((r[0] - first).total_seconds() for r in rows)
        runs = sorted((r[1] - r[0]).total_seconds() for r in rows)
        print(
            f"claimed after (s): p50 {waits[len(waits) // 2]:.2f} max {waits[-1]:.2f}; "
            f"run (s): p50 {runs[len(runs) // 2]:.2f} max {runs[-1]:.2f}; "
            f"worker CPU {worker_cpu:.2f} s",
            file=sys.stderr,
        )
        print_result(
            {
                "bench": "concurrency",
                "calls": CALLS,
                "latency_s": LATENCY_S,
                "makespan_s": round(makespan, 2),
                "ratio": round(makespan / LATENCY_S, 3),
                "goal_ratio": GOAL_RATIO,
                "goal_met": makespan / LATENCY_S <= GOAL_RATIO,
                # The stable number on a shared machine: what one job costs the worker process.
                "worker_cpu_ms_per_job": round(1000 * worker_cpu / CALLS, 2),
                # The floor the ratio cannot beat in one process: its CPU runs one thread at a
                # time (the GIL), so 200 jobs' CPU is serial however well their waits overlap.
                "cpu_floor_ratio": round(max(worker_cpu, LATENCY_S) / LATENCY_S, 3),
                "enqueue_s": round(enqueued_s, 2),
                "worker_cpu_s": round(worker_cpu, 2),
                "load_avg_1m": os.getloadavg()[0],
                **({"worker_profile": profile} if profile else {}),
            }
        )


if __name__ == "__main__":
    main()
