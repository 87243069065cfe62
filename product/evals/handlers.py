"""The job kind of evaluation runs; product.jobs imports every app's handlers.py at start-up.

A thin adapter: the job's input names the run, the runner does the work. No `messages=` builder:
a run holds no reservation of its own (each call reserves in the gateway), so a resumed run has
nothing to reserve again up front.
"""

from __future__ import annotations

from typing import Any

from product.evals import runner
from product.evals.models import Run
from product.evals.runs import KIND
from product.jobs.registry import JobContext, job_handler


@job_handler(KIND)
def run_evaluation(ctx: JobContext) -> dict[str, Any]:
    run = Run.objects.select_related("workspace", "dataset_version__dataset").get(
        pk=ctx.job.input["run_id"]
    )
    return runner.execute(run, ctx)
