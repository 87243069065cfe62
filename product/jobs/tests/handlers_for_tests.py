"""Job kinds used only by the tests: they make the machinery's rules observable."""

from __future__ import annotations

import threading
import time
from typing import Any

from product.jobs.models import Job
from product.jobs.registry import JobCancelled, JobContext, job_handler
from product.llm.errors import InputTooLarge, ProviderError

calls: list[str] = []
calls_lock = threading.Lock()


@job_handler("test.echo")
def echo(ctx: JobContext) -> dict[str, Any]:
    with calls_lock:
        calls.append(str(ctx.job.pk))
    time.sleep(float(ctx.job.input.get("sleep", 0)))
    return {"echo": ctx.job.input.get("text", "")}


@job_handler("test.progress")
def progress(ctx: JobContext) -> dict[str, Any]:
    steps = int(ctx.job.input.get("steps", 5))
    for step in range(steps):
        ctx.set_progress((step + 1) * 100 // (steps + 1))
        time.sleep(float(ctx.job.input.get("sleep", 0.1)))
    return {"steps": steps}


@job_handler("test.wait_for_cancel")
def wait_for_cancel(ctx: JobContext) -> dict[str, Any]:
    deadline = time.monotonic() + float(ctx.job.input.get("timeout", 10))
    while time.monotonic() < deadline:
        if ctx.is_cancelled():
            raise JobCancelled
        time.sleep(0.02)
    return {"cancelled": False}


@job_handler("test.flaky")
def flaky(ctx: JobContext) -> dict[str, Any]:
    """Fails its first run (a readable provider error), succeeds on every later one."""
    with calls_lock:
        calls.append(str(ctx.job.pk))
        runs = calls.count(str(ctx.job.pk))
    if runs == 1:
        raise ProviderError("The AI model is unavailable right now. Please try again in a moment.")
    return {"runs": runs}


@job_handler("test.fail")
def fail(ctx: JobContext) -> dict[str, Any]:
    how = ctx.job.input.get("how")
    if how == "provider":
        raise ProviderError("The AI model is unavailable right now: HTTP 500. Please try again.")
    if how == "provider_later":
        raise ProviderError("The AI provider asked us to wait.", retry_after=300)
    if how == "too_large":
        raise InputTooLarge()
    raise RuntimeError("secret internal detail sk-abcdef123456")


@job_handler("test.answer")
def answer(ctx: JobContext) -> dict[str, Any]:
    """One model call whose answer the feature stores (the workspace's name stands in for it)."""
    from product.accounts.models import Workspace
    from product.llm import gateway

    result = gateway.complete(
        workspace=ctx.job.workspace,
        user=ctx.job.created_by,
        feature="test.answer",
        messages=[{"role": "user", "content": ctx.job.input["text"]}],
        prompt_name="test",
        reservation=ctx.job.reservation,
        job=ctx,
    )
    if ctx.job.input.get("lose_claim"):
        # The reaper gave the job to another attempt while this one waited on the model.
        Job.objects.filter(pk=ctx.job.pk).update(attempts=ctx.job.attempts + 1)

    def write_outcome() -> None:
        if ctx.job.input.get("outcome_fails"):
            raise RuntimeError("the feature's table is gone")
        Workspace.objects.filter(pk=ctx.job.workspace_id).update(name=result.text)

    ctx.on_finish(write_outcome)
    return {"call_id": str(result.call_id)}
