"""Reads for evaluation. Each `get_X_for_user` is the one door to its object: outside the user's
workspaces it does not exist (404); with `workspace` (an API key acts in one) it must be there.
"""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from product.accounts.models import User, Workspace
from product.evals.models import DatasetVersion, Run, RunCase, Score

# --- runs ---


def get_run_for_user(
    user: User, run_id: uuid.UUID | str, *, workspace: Workspace | None = None
) -> Run:
    runs = Run.objects.select_related(
        "job", "workspace", "created_by", "dataset_version__dataset"
    ).filter(workspace__memberships__user=user)
    if workspace is not None:
        runs = runs.filter(workspace=workspace)
    try:
        return runs.get(pk=run_id)
    except (Run.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such run.") from exc


def runs_for_workspace(workspace: Workspace) -> QuerySet[Run]:
    return (
        Run.objects.filter(workspace=workspace)
        .select_related("job", "created_by", "dataset_version__dataset")
        .order_by("-created_at", "-id")
    )


def cases_of(run: Run) -> QuerySet[RunCase]:
    """The run's cases in dataset order (then repeat), each with its scores."""
    return (
        RunCase.objects.filter(run=run)
        .select_related("item")
        .prefetch_related(Prefetch("scores", queryset=Score.objects.order_by("id")))
        .order_by("item__position", "repeat")
    )


def get_dataset_version_for_user(
    user: User,
    dataset_id: uuid.UUID | str,
    number: int | None = None,
    *,
    workspace: Workspace | None = None,
) -> DatasetVersion:
    """A dataset's version `number` (None: its current one), for a run to start on."""
    versions = DatasetVersion.objects.select_related("dataset").filter(
        dataset__workspace__memberships__user=user, dataset_id=dataset_id
    )
    if workspace is not None:
        versions = versions.filter(dataset__workspace=workspace)
    try:
        if number is None:
            return versions.order_by("-number")[:1].get()
        return versions.get(number=number)
    except (DatasetVersion.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such dataset version.") from exc
