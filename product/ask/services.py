"""Writes for "Ask once": accept a question, and answer it on a worker.

The shape every feature copies:
1. `submit_question` (called by the page and the API) checks the limits and reserves the budget
   *before* writing anything: over quota, nothing is created and no model is called.
2. It writes the feature's row and a queued job in one transaction; the job is enqueued on commit.
3. `answer_question` (called by the job handler on a worker) makes the model call through the
   gateway, which writes the ledger row; the jobs machinery writes the result once.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from pydantic import BaseModel

from product.accounts.models import User, Workspace
from product.ask import prompts, schemas
from product.ask.models import Question
from product.core.db import release_connection
from product.jobs import services as job_services
from product.jobs.registry import JobCancelled, JobContext
from product.llm import gateway, quotas
from product.llm.errors import InputTooLarge
from product.llm.models import BudgetReservation
from product.llm.structured import complete_structured


def check_question(*, task: str, text: str, instruction: str = "") -> None:
    """The limits, with a message a person can act on; forms and API schemas say the same first."""
    if len(text) > prompts.MAX_TEXT_CHARS:
        raise InputTooLarge(
            f"The text is {len(text):,} characters long; the limit is {prompts.MAX_TEXT_CHARS:,}. "
            "Shorten it or split it into parts."
        )
    if len(instruction) > prompts.MAX_INSTRUCTION_CHARS:
        raise InputTooLarge(
            f"The instruction is {len(instruction):,} characters long; the limit is "
            f"{prompts.MAX_INSTRUCTION_CHARS:,}."
        )


def messages_for(question: Question) -> list[dict[str, str]]:
    return prompts.build_messages(
        task=question.task, text=question.text, instruction=question.instruction
    )


def submit_question(
    *,
    workspace: Workspace,
    user: User,
    text: str,
    task: str,
    instruction: str = "",
    idempotency_key: str | None = None,
) -> Question:
    """Accept a question: limits and quota first, then the row and its queued job."""
    instruction = prompts.clean_instruction(task=task, instruction=instruction)
    check_question(task=task, text=text, instruction=instruction)
    messages = prompts.build_messages(task=task, text=text, instruction=instruction)
    reservation = quotas.reserve(
        workspace=workspace, user=user, feature=prompts.KIND, messages=messages
    )
    try:
        with transaction.atomic():
            # The id is chosen first so the job's input can name the question it answers.
            question_id = uuid.uuid4()
            job = job_services.submit_job(
                workspace=workspace,
                user=user,
                kind=prompts.KIND,
                input={"question_id": str(question_id)},
                reservation=reservation,
                idempotency_key=idempotency_key,
            )
            return Question.objects.create(
                id=question_id,
                workspace=workspace,
                created_by=user,
                task=task,
                instruction=instruction,
                text=text,
                job=job,
            )
    except BaseException:
        quotas.release(reservation)
        raise


def answer_question(*, ctx: JobContext, question: Question) -> dict[str, Any]:
    """The job's work: stream the answer (progress creeps up as text arrives), return the result."""
    job = ctx.job
    ctx.set_progress(5)
    deltas = 0

    def on_delta(_text: str) -> None:
        # The length of an answer is unknown up front: progress creeps towards 95 % as text
        # arrives, and jumps to 100 % when the job is written as succeeded.
        nonlocal deltas
        deltas += 1
        ctx.set_progress(min(95, 10 + int(85 * (1 - 0.97**deltas))))

    messages = messages_for(question)
    reservation = job.reservation
    if reservation is None or reservation.status != reservation.Status.RESERVED:
        # Settled or released by an earlier attempt (a retry, the reaper): reserve again.
        reservation = quotas.reserve(
            workspace=job.workspace, user=job.created_by, feature=prompts.KIND, messages=messages
        )
    # Nothing touches the database until the answer is in: give the pooled connection back
    # for the seconds the model takes, so 200 jobs in flight do not need 200 connections.
    release_connection()
    schema = schemas.schema_for(question.task)
    if schema is not None:
        return _extract(ctx, question, messages, schema, reservation)
    answer = gateway.stream(
        workspace=job.workspace,
        user=job.created_by,
        feature=prompts.KIND,
        messages=messages,
        prompt_name=prompts.PROMPT_NAME,
        prompt_version=prompts.PROMPT_VERSION,
        reservation=reservation,
        job=ctx,  # the charge and the job's outcome commit together (docs/jobs.md)
        on_delta=on_delta,
        should_stop=ctx.is_cancelled,
    )
    if answer.stopped:
        raise JobCancelled
    return _result(answer, text=answer.text)


def _extract(
    ctx: JobContext,
    question: Question,
    messages: list[dict[str, str]],
    schema: type[BaseModel],
    reservation: BudgetReservation,
) -> dict[str, Any]:
    """An extract task: a typed answer, not streamed (half a JSON object is nothing to show).

    An answer still invalid after the gateway's repair attempt raises StructuredOutputInvalid:
    the job fails with its message, which names the fields, and Retry runs it again."""
    job = ctx.job
    extracted = complete_structured(
        workspace=job.workspace,
        user=job.created_by,
        feature=prompts.KIND,
        messages=messages,
        schema=schema,
        prompt_name=prompts.PROMPT_NAME,
        prompt_version=prompts.PROMPT_VERSION,
        reservation=reservation,
        job=ctx,
    )
    if ctx.is_cancelled():
        raise JobCancelled
    fields = extracted.value.model_dump(mode="json")
    return {
        **_result(extracted.chat, text=schemas.as_text(question.task, fields)),
        "fields": fields,
        "repaired": extracted.repaired,
    }


def _result(answer: gateway.ChatResult, *, text: str) -> dict[str, Any]:
    return {
        "text": text,
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
