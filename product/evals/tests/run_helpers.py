"""Datasets and graders for the run tests, made directly on the models (a version and its items
are immutable, so "editing" makes the next version, as the dataset services do)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from product.accounts.models import User, Workspace
from product.evals.models import Dataset, DatasetItem, DatasetVersion
from product.evals.registry import Grade, GradeContext, Unscored, grader


def make_version(
    workspace: Workspace,
    user: User | None,
    rows: Sequence[dict[str, Any]],
    *,
    target: str = "ask.once",
    name: str = "Cases",
) -> DatasetVersion:
    dataset, _ = Dataset.objects.get_or_create(
        workspace=workspace, name=name, defaults={"target": target, "created_by": user}
    )
    number = dataset.current_version + 1
    version = DatasetVersion.objects.create(
        dataset=dataset, number=number, item_count=len(rows), created_by=user
    )
    DatasetItem.objects.bulk_create(
        DatasetItem(version=version, position=position, **row) for position, row in enumerate(rows)
    )
    Dataset.objects.filter(pk=dataset.pk).update(current_version=number)
    return version


def edit_item(version: DatasetVersion, position: int, **fields: Any) -> DatasetVersion:
    """The next version: every item copied (same key), the one at `position` changed."""
    rows = []
    for item in version.items.order_by("position"):
        row = {
            "key": item.key,
            "input": item.input,
            "reference": item.reference,
            "metadata": item.metadata,
        }
        if item.position == position:
            row.update(fields)
        rows.append(row)
    dataset = version.dataset
    dataset.refresh_from_db()
    return make_version(dataset.workspace, None, rows, target=dataset.target, name=dataset.name)


def ask_row(text: str, reference: str = "", **extra: Any) -> dict[str, Any]:
    return {"input": {"task": "summarise", "text": text}, "reference": reference, **extra}


# Graders of the tests' own, registered the way a feature registers one.
hooks: dict[str, Callable[[GradeContext], None]] = {}
calls_lock = threading.Lock()
grader_calls: list[str] = []


@grader("test_has_reference", label="Says the reference", default_threshold=1.0)
def has_reference(ctx: GradeContext) -> Grade:
    with calls_lock:
        grader_calls.append(str(ctx.item.key))
    hook = hooks.get("has_reference")
    if hook is not None:
        hook(ctx)
    found = ctx.item.reference.lower() in ctx.output.text.lower()
    return Grade(1.0 if found else 0.0, "It says the reference." if found else "It does not.")


@grader("test_unscored", label="Never sure")
def never_sure(ctx: GradeContext) -> Grade:
    raise Unscored("There is nothing to compare with.")


@grader("test_crashes", label="Crashes")
def crashes(ctx: GradeContext) -> Grade:
    raise RuntimeError("boom")


@grader("test_length", label="Short enough", params={"max_words": 20}, default_threshold=0.5)
def short_enough(ctx: GradeContext) -> Grade:
    words = len(ctx.output.text.split())
    limit = int(ctx.params["max_words"])
    return Grade(1.0 if words <= limit else 0.0, f"{words} words (limit {limit}).")
