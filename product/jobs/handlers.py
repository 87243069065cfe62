"""Job handlers of the jobs app itself: "Ask once" (kind `ask.once`)."""

from __future__ import annotations

from typing import Any

from product.core.db import release_connection
from product.jobs import prompts
from product.jobs.registry import JobCancelled, JobContext, job_handler
from product.llm import gateway, quotas

ASK_ONCE = prompts.KIND


@job_handler(ASK_ONCE, messages=prompts.build_messages)
def ask_once(ctx: JobContext) -> dict[str, Any]:
    job = ctx.job
    ctx.set_progress(5)
    deltas = 0

    def on_delta(_text: str) -> None:
        # The length of an answer is unknown up front: progress creeps towards 95 % as text
        # arrives, and jumps to 100 % when the job is written as succeeded.
        nonlocal deltas
        deltas += 1
        ctx.set_progress(min(95, 10 + int(85 * (1 - 0.97**deltas))))

    messages = prompts.build_messages(job.input)
    reservation = job.reservation
    if reservation is None or reservation.status != reservation.Status.RESERVED:
        # Settled or released by an earlier attempt (or submitted without one): reserve again.
        reservation = quotas.reserve(
            workspace=job.workspace, user=job.created_by, feature=ASK_ONCE, messages=messages
        )
    # Nothing touches the database until the answer is in: give the pooled connection back
    # for the seconds the model takes, so 200 jobs in flight do not need 200 connections.
    release_connection()
    answer = gateway.stream(
        workspace=job.workspace,
        user=job.created_by,
        feature=ASK_ONCE,
        messages=messages,
        prompt_name=prompts.PROMPT_NAME,
        prompt_version=prompts.PROMPT_VERSION,
        reservation=reservation,
        job=ctx,  # the answer is charged in the transaction that writes the result below
        on_delta=on_delta,
        should_stop=ctx.is_cancelled,
    )
    if answer.stopped:
        raise JobCancelled
    return {
        "text": answer.text,
        "model": answer.model,
        "call_id": str(answer.call_id),
        "input_tokens": answer.input_tokens,
        "cached_tokens": answer.cached_tokens,
        "output_tokens": answer.output_tokens,
        "cost_usd": None if answer.cost_usd is None else str(answer.cost_usd),
        "latency_ms": answer.latency_ms,
        "ttft_ms": answer.ttft_ms,
        "finish_reason": answer.finish_reason,
    }
