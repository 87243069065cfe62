"""Reads for jobs. `get_job_for_user` is the one door to a job."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from product.accounts.models import User, Workspace
from product.jobs.models import Job
from product.llm.models import LLMCall


def get_job_for_user(
    user: User, job_id: uuid.UUID | str, *, workspace: Workspace | None = None
) -> Job:
    """The one door to a job: 404 outside the user's workspaces (and outside `workspace`, if given:
    an API key acts in one workspace)."""
    jobs = Job.objects.select_related("workspace", "created_by").filter(
        workspace__memberships__user=user
    )
    if workspace is not None:
        jobs = jobs.filter(workspace=workspace)
    try:
        return jobs.get(pk=job_id)
    except (Job.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such job.") from exc


def jobs_for_workspace(workspace: Workspace, *, kind: str | None = None) -> QuerySet[Job]:
    jobs = Job.objects.filter(workspace=workspace).select_related("created_by")
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs.order_by("-created_at")


def job_usage(job: Job) -> dict[str, Any]:
    """Tokens, cost and latency of a job, from the model-call ledger (every attempt counts)."""
    calls = list(LLMCall.objects.filter(job_id=job.pk).order_by("created_at"))
    succeeded = [c for c in calls if c.status == LLMCall.Status.SUCCEEDED]
    costs = [c.cost_usd for c in calls if c.cost_usd is not None]
    return {
        "calls": len(calls),
        "input_tokens": sum(c.input_tokens for c in calls),
        "cached_tokens": sum(c.cached_tokens for c in calls),
        "output_tokens": sum(c.output_tokens for c in calls),
        "cost_usd": sum(costs, Decimal(0)) if costs or not calls else None,
        "cost_unknown": any(c.cost_unknown for c in calls),
        "latency_ms": succeeded[-1].latency_ms if succeeded else None,
        "model": succeeded[-1].model if succeeded else (calls[-1].model if calls else ""),
    }
