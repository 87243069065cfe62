"""Reads for evaluation. `get_<thing>_for_user` is the one door to each kind of object.

Outside the user's workspaces an object does not exist (Http404); with `workspace` (an API key
acts in one workspace) it must also be in that one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from product.accounts.models import User, Workspace
from product.evals.models import Dataset, DatasetItem, DatasetVersion, Feedback, Run, RunCase, Score


def _valid_id(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404("Not found.") from exc


# --- datasets -------------------------------------------------------------------------------


def get_dataset_for_user(
    user: User, dataset_id: uuid.UUID | str, *, workspace: Workspace | None = None
) -> Dataset:
    found = Dataset.objects.select_related("workspace", "created_by").filter(
        pk=_valid_id(dataset_id), workspace__memberships__user=user
    )
    if workspace is not None:
        found = found.filter(workspace=workspace)
    dataset = found.first()
    if dataset is None:
        raise Http404("No such dataset.")
    return dataset


def datasets_for_workspace(workspace: Workspace, *, target: str | None = None) -> QuerySet[Dataset]:
    found = Dataset.objects.filter(workspace=workspace).select_related("created_by")
    if target:
        found = found.filter(target=target)
    return found.order_by("name")


def get_version(dataset: Dataset, number: int | None = None) -> DatasetVersion:
    """A version of the dataset (None: the current one); Http404 when there is no such version."""
    wanted = dataset.current_version if number is None else number
    version = (
        DatasetVersion.objects.select_related("created_by")
        .filter(dataset=dataset, number=wanted)
        .first()
    )
    if version is None:
        raise Http404("This dataset has no such version." if wanted else "The dataset is empty.")
    return version


def versions_of(dataset: Dataset) -> QuerySet[DatasetVersion]:
    return (
        DatasetVersion.objects.filter(dataset=dataset)
        .select_related("created_by")
        .order_by("-number")
    )


def items_of(version: DatasetVersion) -> QuerySet[DatasetItem]:
    return DatasetItem.objects.filter(version=version).order_by("position")


def get_item(version: DatasetVersion, key: uuid.UUID | str) -> DatasetItem:
    item = items_of(version).filter(key=_valid_id(key)).first()
    if item is None:
        raise Http404("No such item in this version.")
    return item


def get_item_for_user(
    user: User, item_id: uuid.UUID | str, *, workspace: Workspace | None = None
) -> DatasetItem:
    """An item row (of any version) through its dataset's workspace."""
    found = DatasetItem.objects.select_related("version__dataset__workspace").filter(
        pk=_valid_id(item_id), version__dataset__workspace__memberships__user=user
    )
    if workspace is not None:
        found = found.filter(version__dataset__workspace=workspace)
    item = found.first()
    if item is None:
        raise Http404("No such item.")
    return item


# --- feedback -------------------------------------------------------------------------------


def get_feedback_for_user(
    user: User, feedback_id: uuid.UUID | str, *, workspace: Workspace | None = None
) -> Feedback:
    found = Feedback.objects.select_related("workspace", "user").filter(
        pk=_valid_id(feedback_id), workspace__memberships__user=user
    )
    if workspace is not None:
        found = found.filter(workspace=workspace)
    feedback = found.first()
    if feedback is None:
        raise Http404("No such feedback.")
    return feedback


def feedback_for_workspace(
    workspace: Workspace, *, rating: str | None = None, target: str | None = None
) -> QuerySet[Feedback]:
    found = Feedback.objects.filter(workspace=workspace).select_related("user")
    if rating:
        found = found.filter(rating=rating)
    if target:
        found = found.filter(target=target)
    return found.order_by("-created_at")


def feedback_counts(workspace: Workspace) -> dict[str, int]:
    """Thumbs up and down in the workspace, for the evaluation home page."""
    counts: dict[str, Any] = Feedback.objects.filter(workspace=workspace).aggregate(
        up=Count("pk", filter=Q(rating=Feedback.Rating.UP)),
        down=Count("pk", filter=Q(rating=Feedback.Rating.DOWN)),
    )
    return {"up": int(counts["up"] or 0), "down": int(counts["down"] or 0)}


def feedback_of_user(
    user: User, *, target: str, subject_ids: Iterable[uuid.UUID | str]
) -> dict[str, Feedback]:
    """The person's own ratings of these answers, by subject id (as text), for the widgets."""
    ids = [str(subject_id) for subject_id in subject_ids]
    if not ids or not user.is_authenticated:
        return {}
    found = Feedback.objects.filter(user=user, target=target, subject_id__in=ids)
    return {str(feedback.subject_id): feedback for feedback in found}


# --- runs ---------------------------------------------------------------------------------------


def get_run_for_user(
    user: User, run_id: uuid.UUID | str, *, workspace: Workspace | None = None
) -> Run:
    runs = Run.objects.select_related(
        "job", "workspace", "created_by", "dataset_version__dataset"
    ).filter(workspace__memberships__user=user)
    if workspace is not None:
        runs = runs.filter(workspace=workspace)
    try:
        return runs.get(pk=_valid_id(run_id))
    except Run.DoesNotExist as exc:
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
