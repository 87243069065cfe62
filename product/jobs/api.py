"""Jobs over the API: list, read, cancel and retry jobs of any kind.

Jobs are created by the features that own them, each through its own typed route (e.g.
`POST /questions` in product/ask/api.py); this router only reads and controls them. A job outside
the key's workspace is a 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from product.apikeys.auth import require_scope
from product.core.errors import Conflict
from product.core.pagination import cursor_paginated
from product.jobs import services
from product.jobs.models import Job
from product.jobs.selectors import get_job_for_user, job_usage, jobs_for_workspace

router = Router(tags=["jobs"])


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


def job_detail(job: Job) -> dict[str, Any]:
    """A job with its usage, as JSON: features embed it in their own answers (see ask/api.py)."""
    out = JobDetailOut.model_validate(
        {**JobOut.model_validate(job).model_dump(), "usage": job_usage(job)}
    )
    return out.model_dump(mode="json")


@router.get("/jobs", response=list[JobOut], summary="List the workspace's jobs")
@cursor_paginated
def list_jobs(request: HttpRequest, kind: str | None = None) -> Any:
    who = require_scope(request, "read")
    return jobs_for_workspace(who.workspace, kind=kind)


@router.get("/jobs/{job_id}", response=JobDetailOut, summary="Read a job")
def get_job(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    who = require_scope(request, "read")
    return job_detail(get_job_for_user(who.user, job_id, workspace=who.workspace))


@router.post("/jobs/{job_id}/cancel", response=JobDetailOut, summary="Cancel a job")
def cancel_job(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    """Queued: cancelled at once. Running: `cancel_requested` is set and the worker stops soon."""
    who = require_scope(request, "write")
    job = get_job_for_user(who.user, job_id, workspace=who.workspace)
    return job_detail(services.cancel_job(job=job, user=who.user))


@router.post(
    "/jobs/{job_id}/retry",
    response=JobDetailOut,
    summary="Retry a failed job",
    openapi_extra={
        "responses": {409: {"description": "`not_retryable`: the job is not failed or cancelled."}}
    },
)
def retry_job(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    """A failed or cancelled job runs again (quota is checked again). Other states: 409."""
    who = require_scope(request, "write")
    job = get_job_for_user(who.user, job_id, workspace=who.workspace)
    if not job.can_retry:
        raise Conflict(f"A {job.status} job cannot be retried.", code="not_retryable")
    job = services.retry_job(job=job, user=who.user)
    return job_detail(job)
