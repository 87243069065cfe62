"""Jobs over the API: submit an "Ask once" job, read it, list, cancel, retry.

Submitting is idempotent with an `Idempotency-Key`; quotas are checked before a job exists (429
with `Retry-After` when over). A job outside the key's workspace is a 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from product.apikeys.auth import require_scope
from product.core.errors import ApiError
from product.core.idempotency import IdempotencyKeyHeader, run_idempotent
from product.core.pagination import cursor_paginated
from product.jobs import prompts, services
from product.jobs.models import Job
from product.jobs.selectors import get_job_in_workspace, job_usage, jobs_for_workspace
from product.llm.errors import LLMError, as_api_error

router = Router(tags=["jobs"])


class AskOnceInput(Schema):
    text: str = Field(
        min_length=1,
        max_length=prompts.MAX_TEXT_CHARS,
        examples=["Keel is a Django starter that small teams fork to ship an AI product."],
    )
    task: Literal["summarise", "key_points", "custom"] = Field(
        "summarise", description="summarise, key_points, or custom (then send `instruction`)."
    )
    instruction: str | None = Field(
        None, max_length=prompts.MAX_INSTRUCTION_CHARS, examples=["List every date mentioned."]
    )


class JobIn(Schema):
    kind: Literal["ask.once"] = Field(description="The job kind; the API accepts `ask.once`.")
    input: AskOnceInput


class UsageOut(Schema):
    calls: int = Field(description="Model calls made for this job (every attempt counts).")
    model: str
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    cost_usd: Decimal | None = Field(description="Null when a model's price is unknown.")
    latency_ms: int | None


class JobOut(Schema):
    id: uuid.UUID
    kind: str = Field(examples=["ask.once"])
    status: str = Field(
        description="queued, running, succeeded, failed or cancelled", examples=["queued"]
    )
    progress: int = Field(ge=0, le=100)
    attempts: int
    max_attempts: int
    cancel_requested: bool
    input: dict[str, Any]
    result: dict[str, Any] | None = Field(description="Set when the job succeeded.")
    error_code: str = Field(examples=[""])
    error_message: str = Field(description="Readable by a person; empty unless failed.")
    retry_at: datetime | None = Field(description="A queued job waits for the provider until then.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobDetailOut(JobOut):
    usage: UsageOut


def _detail(job: Job) -> dict[str, Any]:
    out = JobDetailOut.model_validate(
        {**JobOut.model_validate(job).model_dump(), "usage": job_usage(job)}
    )
    return out.model_dump(mode="json")


@router.post(
    "/jobs",
    response={202: JobDetailOut},
    summary="Submit a job",
    description="Queues an `ask.once` job and answers at once with its id; poll "
    "`GET /jobs/{id}` until `status` is succeeded, failed or cancelled. Over quota: 429 with "
    "`Retry-After`, and nothing is queued.",
)
def create_job(
    request: HttpRequest, payload: JobIn, idempotency_key: IdempotencyKeyHeader = None
) -> Status[Any]:
    who = require_scope(request, "write")

    def create() -> tuple[int, Any]:
        if payload.input.task == prompts.CUSTOM and not (payload.input.instruction or "").strip():
            raise ApiError(
                422,
                "validation_error",
                "A custom task needs an instruction.",
                details=[{"field": "body.input.instruction", "message": "Required for custom."}],
            )
        try:
            job = services.ask_once(
                workspace=who.workspace,
                user=who.user,
                text=payload.input.text,
                task=payload.input.task,
                instruction=payload.input.instruction or "",
                idempotency_key=idempotency_key,
            )
        except LLMError as exc:
            raise as_api_error(exc) from exc
        return 202, _detail(job)

    status, body = run_idempotent(
        actor=who,
        scope="jobs.create",
        key=idempotency_key,
        payload=payload.model_dump(mode="json"),
        create=create,
    )
    return Status(status, body)


@router.get("/jobs", response=list[JobOut], summary="List the workspace's jobs")
@cursor_paginated
def list_jobs(request: HttpRequest, kind: str | None = None) -> Any:
    who = require_scope(request, "read")
    return jobs_for_workspace(who.workspace, kind=kind)


@router.get("/jobs/{job_id}", response=JobDetailOut, summary="Read a job")
def get_job(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    who = require_scope(request, "read")
    return _detail(get_job_in_workspace(who.workspace, job_id))


@router.post("/jobs/{job_id}/cancel", response=JobDetailOut, summary="Cancel a job")
def cancel_job(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    """Queued: cancelled at once. Running: `cancel_requested` is set and the worker stops soon."""
    who = require_scope(request, "write")
    job = get_job_in_workspace(who.workspace, job_id)
    return _detail(services.cancel_job(job=job, user=who.user))


@router.post("/jobs/{job_id}/retry", response=JobDetailOut, summary="Retry a failed job")
def retry_job(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    """A failed or cancelled job runs again (quota is checked again). Other states: 409."""
    who = require_scope(request, "write")
    job = get_job_in_workspace(who.workspace, job_id)
    if not job.can_retry:
        raise ApiError(409, "not_retryable", f"A {job.status} job cannot be retried.")
    try:
        job = services.retry_job(job=job, user=who.user)
    except LLMError as exc:
        raise as_api_error(exc) from exc
    return _detail(job)
