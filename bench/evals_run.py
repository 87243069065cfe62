"""An evaluation run of 200 Ask once cases against the dev model server at 2 s latency per call.

One worker process (threads pool, as in production) runs the run's one job, which keeps all 200
cases in flight (`concurrency=200`). Two runs: graded by a deterministic grader (`contains`), and
by the LLM judge (`llm_judge`: one more 2 s model call per case, after the answer). Makespan is
from the commit that queues the run to its job written as succeeded; ratio = makespan / 2 s
(goals: <= 1.5 with deterministic graders, <= 3 with the judge, whose call follows the answer so
2.0 is the floor). CPU ms per case is the worker's CPU time over the run / cases.

Prints one JSON line last:
{"bench":"evals_run","cases":200,"latency_s":2,"deterministic":{...},"judge":{...}}
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, cpu_seconds, print_result  # noqa: E402

CASES = int(os.environ.get("BENCH_CASES", "200"))
LATENCY_S = 2


def main() -> None:
    with BenchStack(redis_db=int(os.environ.get("BENCH_REDIS_DB", "12"))) as stack:
        # The whole latency is time to first token (a plain reply waits that long), the judge's
        # call too: every model call of a case takes 2 s.
        stack.start_devmodel(ttft_ms=LATENCY_S * 1000)
        stack.start_worker(concurrency=8)
        stack.setup_django()

        from django.db import connection

        from product.accounts.models import User
        from product.accounts.services import create_personal_workspace
        from product.evals import runs
        from product.evals.models import Dataset, DatasetItem, DatasetVersion, RunCase
        from product.evals.registry import GraderSpec, RunConfig
        from product.jobs.models import Job
        from product.llm.models import BudgetReservation, LLMCall

        user = User.objects.create_user("bench@example.com", "bench-password-123")
        workspace = create_personal_workspace(user=user)

        def version(n: int, name: str) -> DatasetVersion:
            dataset = Dataset.objects.create(
                workspace=workspace, name=name, target="ask.once", current_version=1
            )
            made = DatasetVersion.objects.create(dataset=dataset, number=1, item_count=n)
            DatasetItem.objects.bulk_create(
                DatasetItem(
                    version=made,
                    position=i,
                    input={"task": "summarise", "text": f"[[reply: Case {i} costs ${i}.]] x"},
                    reference=f"Case {i} costs ${i}.",
                    metadata={"must_contain": [f"${i}"]},
                )
                for i in range(n)
            )
            return made

        def measure(graders: list[GraderSpec], cases: DatasetVersion) -> dict[str, Any]:
            worker = stack.processes["worker"].pid
            profiler = None
            if os.environ.get("BENCH_PROFILE") and cases.item_count == CASES:
                # py-spy (a dev dependency) samples every thread of the worker: collapsed stacks.
                out = f"{os.environ['BENCH_PROFILE']}-{graders[0].name}.txt"
                profiler = subprocess.Popen(
                    [
                        "py-spy",
                        "record",
                        "--pid",
                        str(worker),
                        "--format",
                        "raw",
                        "-o",
                        out,
                        "--rate",
                        "250",
                        "--gil",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(1)
            cpu_before = cpu_seconds(worker)
            started = time.monotonic()
            run = runs.submit_run(
                workspace=workspace,
                user=user,
                dataset_version=cases,
                config=RunConfig(),
                graders=graders,
                concurrency=min(CASES, 256),
            )
            deadline = started + 180
            while Job.objects.filter(pk=run.job_id).exclude(status__in=Job.FINISHED).exists():
                if time.monotonic() > deadline:
                    raise SystemExit("the run did not finish within 180 s")
                time.sleep(0.05)
            makespan = time.monotonic() - started
            cpu = cpu_seconds(worker) - cpu_before
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(timeout=30)
            job = Job.objects.get(pk=run.job_id)
            done = RunCase.objects.filter(run=run, status=RunCase.Status.DONE).count()
            if job.status != Job.Status.SUCCEEDED or done != cases.item_count:
                raise SystemExit(f"run {job.status}: {done} cases done; {job.error_message}")
            # Where the time went: when calls were reserved (the budget check takes a row lock
            # per workspace), how long the provider took, when cases were written.
            t0 = job.started_at
            assert t0 is not None
            holds = sorted(
                (r - t0).total_seconds()
                for r in BudgetReservation.objects.filter(job_id=run.job_id).values_list(
                    "created_at", flat=True
                )
            )
            latencies = sorted(
                LLMCall.objects.filter(job_id=run.job_id).values_list("latency_ms", flat=True)
            )
            ends = sorted(
                (f - t0).total_seconds()
                for f in RunCase.objects.filter(run=run).values_list("finished_at", flat=True)
            )
            print(
                f"{graders[0].name}: reserved from {holds[0]:.2f} to {holds[-1]:.2f} s; provider "
                f"latency p50 {latencies[len(latencies) // 2]} max {latencies[-1]} ms; cases "
                f"written from {ends[0]:.2f} to {ends[-1]:.2f} s after the claim",
                file=sys.stderr,
            )
            return {
                "makespan_s": round(makespan, 2),
                "ratio": round(makespan / LATENCY_S, 3),
                "cpu_ms_per_case": round(1000 * cpu / cases.item_count, 1),
            }

        # Warm the worker (tokenizer, client, pool): a deployment is warm too.
        measure([GraderSpec(name="contains")], version(4, "warm"))
        deterministic = measure([GraderSpec(name="contains")], version(CASES, "deterministic"))
        print(f"deterministic graders: {deterministic}", file=sys.stderr)
        judge = measure([GraderSpec(name="llm_judge")], version(CASES, "judge"))
        print(f"one judge call per case: {judge}", file=sys.stderr)
        connection.close()
        print_result(
            {
                "bench": "evals_run",
                "cases": CASES,
                "latency_s": LATENCY_S,
                "deterministic": {**deterministic, "goal": 1.5},
                "judge": {**judge, "goal": 3.0},
            }
        )


if __name__ == "__main__":
    main()
