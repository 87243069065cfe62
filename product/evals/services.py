"""Writes for feedback and datasets.

Datasets are copy-on-write: every change (an import, an added, edited or deleted item) makes a
new `DatasetVersion` holding a full copy of the items, written in one transaction under a lock
of the dataset's row, so two edits at once make v2 and v3, never two v2s. A version and its
items are never updated or deleted afterwards: a run reads exactly the items it started with,
however the dataset changes while it runs, and can be re-run on them later.

Feedback keeps a snapshot of the answer (the target's `example_for`), so it can become a dataset
item even when the answer itself is gone (a regenerated reply, a deleted conversation).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.db import IntegrityError, transaction
from pydantic import BaseModel

from product.accounts.models import User, Workspace
from product.core.text import reject_nul
from product.evals import io, registry
from product.evals.errors import EvalError
from product.evals.models import Dataset, DatasetItem, DatasetVersion, Feedback
from product.llm.models import LLMCall

MAX_DATASET_NAME_CHARS = 200
MAX_DESCRIPTION_CHARS = 2_000
MAX_COMMENT_CHARS = 4_000
MAX_NOTE_CHARS = 300
ITEM_FIELDS = frozenset({"input", "reference", "expected_sources", "tags", "metadata"})


def _target(name: str) -> registry.Target:
    try:
        return registry.get_target(name)
    except LookupError as exc:
        known = ", ".join(t.name for t in registry.targets()) or "none registered"
        raise EvalError(
            f"There is no evaluation target {name!r} (known: {known}).", code="unknown_target"
        ) from exc


def target_label(name: str) -> str:
    """A target's label for people; its name when no app registers it (any more)."""
    try:
        return registry.get_target(name).label
    except LookupError:
        return name


def input_model_of(dataset: Dataset) -> type[BaseModel]:
    return _target(dataset.target).input_model


# --- datasets -------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = " ".join(reject_nul(name or "", "name").split())
    if not name:
        raise EvalError("Give the dataset a name.", code="name_blank")
    if len(name) > MAX_DATASET_NAME_CHARS:
        raise EvalError(
            f"The name is {len(name)} characters long; the limit is {MAX_DATASET_NAME_CHARS}.",
            code="name_too_long",
        )
    return name


def create_dataset(
    *, workspace: Workspace, user: User | None, name: str, target: str, description: str = ""
) -> Dataset:
    """An empty dataset (version 0: no items yet; the first change makes v1)."""
    name = _clean_name(name)
    _target(target)
    description = reject_nul(description or "", "description").strip()
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise EvalError(
            f"The description is {len(description):,} characters long; the limit is "
            f"{MAX_DESCRIPTION_CHARS:,}.",
            code="description_too_long",
        )
    taken = EvalError(
        f"There is already a dataset called “{name}” in this workspace; choose another name.",
        code="name_taken",
        status=409,
    )
    if Dataset.objects.filter(workspace=workspace, name=name).exists():
        raise taken
    try:
        with transaction.atomic():
            return Dataset.objects.create(
                workspace=workspace,
                created_by=user,
                name=name,
                target=target,
                description=description,
            )
    except IntegrityError as exc:  # a concurrent create with the same name won
        raise taken from exc


def _current_items(dataset: Dataset) -> list[io.ItemData]:
    if not dataset.current_version:
        return []
    rows = DatasetItem.objects.filter(
        version__dataset=dataset, version__number=dataset.current_version
    ).order_by("position")
    return [
        io.ItemData(
            key=row.key,
            input=row.input,
            reference=row.reference,
            expected_sources=list(row.expected_sources),
            tags=list(row.tags),
            metadata=dict(row.metadata),
            source_call_id=row.source_call_id,
        )
        for row in rows
    ]


def _write_version(
    *, dataset: Dataset, user: User | None, note: str, items: list[io.ItemData]
) -> DatasetVersion:
    """Version current+1 with exactly `items`, in order. Call under the dataset's row lock."""
    number = dataset.current_version + 1
    version = DatasetVersion.objects.create(
        dataset=dataset,
        number=number,
        note=note[:MAX_NOTE_CHARS],
        item_count=len(items),
        created_by=user,
    )
    DatasetItem.objects.bulk_create(
        [
            DatasetItem(
                version=version,
                key=item.key,
                position=position,
                input=item.input,
                reference=item.reference,
                expected_sources=item.expected_sources,
                tags=item.tags,
                metadata=item.metadata,
                source_call_id=item.source_call_id,
            )
            for position, item in enumerate(items)
        ],
        batch_size=500,
    )
    dataset.current_version = number
    dataset.save(update_fields=["current_version", "updated_at"])
    return version


def _locked(dataset: Dataset) -> Dataset:
    """The dataset's row, locked until the transaction ends; `dataset` is refreshed with it."""
    locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
    dataset.current_version = locked.current_version
    return locked


def import_items(
    *,
    dataset: Dataset,
    user: User | None,
    content: bytes | str,
    fmt: Literal["jsonl", "csv"],
    filename: str = "",
    replace: bool = False,
) -> DatasetVersion:
    """Every row checked first (ImportRejected lists each problem, nothing stored), then one new
    version: the current items and the file's after them, or only the file's with `replace`."""
    rows = io.parse_items(content, fmt=fmt, input_model=input_model_of(dataset))
    source = f" from {filename}" if filename else ""
    with transaction.atomic():
        locked = _locked(dataset)
        existing = [] if replace else _current_items(locked)
        errors = io.RowErrors()
        if existing:
            keys = {item.key for item in existing}
            # The rows of the file in their order, to say which row clashes.
            for number, row in enumerate(rows, start=1):
                if row.key in keys:
                    errors.add(
                        number,
                        "key",
                        f"Item {row.metadata.get('name', row.key)} is already in the dataset; "
                        "import with “replace all items” to update it, or give it another key.",
                    )
            errors.raise_if_any()
        verb = "Replaced all items with" if replace else "Imported"
        note = f"{verb} {len(rows)} item{'s' if len(rows) != 1 else ''}{source}"
        version = _write_version(dataset=locked, user=user, note=note, items=existing + rows)
    dataset.current_version = version.number
    return version


def _checked_item(
    dataset: Dataset, values: dict[str, Any], *, key: uuid.UUID | str | None
) -> io.ItemData:
    """A single item's values checked like an imported row; EvalError lists what is wrong."""
    errors = io.RowErrors()
    data = {name: value for name, value in values.items() if name in io.COLUMNS}
    if key is not None:
        data["key"] = str(key)
    item = io.validate_row(data, row=1, input_model=input_model_of(dataset), errors=errors)
    if item is None:
        details = [{"field": d["field"], "message": d["message"]} for d in errors.details]
        first = details[0] if details else {"field": "", "message": "is not valid"}
        raise EvalError(
            f"The item is not valid: {first['field'] or 'item'}: {first['message']}",
            code="item_invalid",
            details=details,
        )
    return item


def add_item(
    *,
    dataset: Dataset,
    user: User | None,
    input: dict[str, Any],  # noqa: A002 (the item's field is called so)
    reference: str = "",
    expected_sources: list[str] | tuple[str, ...] = (),
    tags: list[str] | tuple[str, ...] = (),
    metadata: dict[str, Any] | None = None,
    source_call_id: uuid.UUID | str | None = None,
    key: uuid.UUID | str | None = None,
    note: str = "",
) -> DatasetItem:
    """Append one item in a new version; returns the item row of that version. `key`: a UUID,
    or a name the key is derived from (io.item_key); None: a new random key."""
    item = _checked_item(
        dataset,
        {
            "input": input,
            "reference": reference,
            "expected_sources": list(expected_sources),
            "tags": list(tags),
            "metadata": dict(metadata or {}),
        },
        key=key,
    )
    item.source_call_id = uuid.UUID(str(source_call_id)) if source_call_id else None
    with transaction.atomic():
        locked = _locked(dataset)
        items = _current_items(locked)
        if any(existing.key == item.key for existing in items):
            raise EvalError("This item is already in the dataset.", code="item_exists", status=409)
        version = _write_version(
            dataset=locked, user=user, note=note or "Added an item", items=[*items, item]
        )
    dataset.current_version = version.number
    return DatasetItem.objects.get(version=version, key=item.key)


def _index_of(items: list[io.ItemData], key: uuid.UUID | str) -> int:
    try:
        wanted = uuid.UUID(str(key))
    except ValueError:
        wanted = None
    for index, item in enumerate(items):
        if item.key == wanted:
            return index
    raise EvalError(
        "There is no such item in the dataset's current version; it may have been deleted.",
        code="no_such_item",
        status=404,
    )


def update_item(
    *, dataset: Dataset, user: User | None, key: uuid.UUID | str, **fields: Any
) -> DatasetVersion:
    """Change some fields of one item (input, reference, expected_sources, tags, metadata): a new
    version in which the item keeps its key and place."""
    unknown = sorted(set(fields) - ITEM_FIELDS)
    if unknown:
        raise EvalError(
            f"Items have no field {', '.join(unknown)}; use {', '.join(sorted(ITEM_FIELDS))}.",
            code="item_invalid",
        )
    with transaction.atomic():
        locked = _locked(dataset)
        items = _current_items(locked)
        index = _index_of(items, key)
        current = items[index]
        merged = {**current.as_row(), **fields}
        changed = _checked_item(dataset, merged, key=current.key)
        changed.source_call_id = current.source_call_id
        items[index] = changed
        name = changed.metadata.get("name") or f"#{index + 1}"
        version = _write_version(dataset=locked, user=user, note=f"Edited item {name}", items=items)
    dataset.current_version = version.number
    return version


def delete_item(*, dataset: Dataset, user: User | None, key: uuid.UUID | str) -> DatasetVersion:
    """A new version without the item (older versions keep it)."""
    with transaction.atomic():
        locked = _locked(dataset)
        items = _current_items(locked)
        index = _index_of(items, key)
        removed = items.pop(index)
        name = removed.metadata.get("name") or f"#{index + 1}"
        version = _write_version(
            dataset=locked, user=user, note=f"Deleted item {name}", items=items
        )
    dataset.current_version = version.number
    return version


def export_items(*, version: DatasetVersion, fmt: Literal["jsonl", "csv"]) -> str:
    """The version's items as a JSONL or CSV file that `import_items` reads back as they are."""
    rows = DatasetItem.objects.filter(version=version).order_by("position")
    return io.export_rows(
        (
            {
                "key": str(row.key),
                "input": row.input,
                "reference": row.reference,
                "expected_sources": row.expected_sources,
                "tags": row.tags,
                "metadata": row.metadata,
            }
            for row in rows
        ),
        fmt=fmt,
    )


# --- feedback -------------------------------------------------------------------------------


def record_feedback(
    *,
    workspace: Workspace,
    user: User,
    target: str,
    subject_id: uuid.UUID | str,
    rating: str,
    comment: str = "",
) -> Feedback:
    """Rate an answer (thumbs up or down, with an optional comment); rating it again changes the
    person's one rating of it. The answer is snapshotted now, through the target."""
    if rating not in Feedback.Rating.values:
        raise EvalError("Rate the answer up or down.", code="invalid_rating")
    comment = (comment or "").strip()
    reject_nul(comment, "comment")
    if len(comment) > MAX_COMMENT_CHARS:
        raise EvalError(
            f"The comment is {len(comment):,} characters long; the limit is {MAX_COMMENT_CHARS:,}.",
            code="comment_too_long",
        )
    spec = _target(target)
    no_answer = EvalError(
        "There is no such answer to rate (it may be unfinished or gone).",
        code="no_such_answer",
        status=404,
    )
    try:
        subject = uuid.UUID(str(subject_id))
    except ValueError as exc:
        raise no_answer from exc
    example = spec.example_for(workspace, str(subject)) if spec.example_for else None
    if example is None:
        raise no_answer
    call_id = None
    if example.llm_call_id:
        call_id = (
            LLMCall.objects.filter(pk=example.llm_call_id, workspace=workspace)
            .values_list("pk", flat=True)
            .first()
        )
    values = {
        "workspace": workspace,
        "rating": rating,
        "comment": comment,
        "example": example.as_json(),
        "llm_call_id": call_id,
    }
    feedback, _created = Feedback.objects.update_or_create(
        user=user, target=target, subject_id=subject, defaults=values
    )
    return feedback


def _feedback_key(feedback: Feedback) -> uuid.UUID:
    # One feedback is one case: adding it to the same dataset twice is refused by its key.
    return io.item_key(f"feedback:{feedback.pk}")


def add_feedback_to_dataset(
    *, feedback: Feedback, dataset: Dataset, user: User | None
) -> DatasetItem:
    """The rated answer as a dataset item: its input; a thumbs-up's output as the reference (a
    thumbs-down has none: the observed output is kept in the metadata); the cited sources as the
    expected ones; the ledger call it came from as `source_call`."""
    if dataset.workspace_id != feedback.workspace_id:
        raise EvalError(
            "There is no such dataset in this workspace.", code="no_such_dataset", status=404
        )
    if dataset.target != feedback.target:
        raise EvalError(
            f"This dataset holds {target_label(dataset.target)} cases; the answer is from "
            f"{target_label(feedback.target)}. Pick a dataset of that kind.",
            code="target_mismatch",
        )
    example: dict[str, Any] = feedback.example or {}
    key = _feedback_key(feedback)
    if (
        dataset.current_version
        and DatasetItem.objects.filter(
            version__dataset=dataset, version__number=dataset.current_version, key=key
        ).exists()
    ):
        raise EvalError(
            f"This answer is already in “{dataset.name}”.", code="already_added", status=409
        )
    up = feedback.rating == Feedback.Rating.UP
    metadata = {
        "feedback_id": str(feedback.pk),
        "observed_output": str(example.get("output", "")),
        "comment": feedback.comment,
        "model": str(example.get("model", "")),
        "prompt_name": str(example.get("prompt_name", "")),
        "prompt_version": str(example.get("prompt_version", "")),
    }
    try:
        return add_item(
            dataset=dataset,
            user=user,
            input=dict(example.get("input") or {}),
            reference=str(example.get("output", "")) if up else "",
            expected_sources=[str(s) for s in example.get("sources") or []],
            tags=["feedback", feedback.rating],
            metadata=metadata,
            source_call_id=feedback.llm_call_id,
            key=key,
            note=f"Added a {'thumbs-up' if up else 'thumbs-down'} answer from feedback",
        )
    except EvalError as exc:
        if exc.code == "item_exists":
            raise EvalError(
                f"This answer is already in “{dataset.name}”.", code="already_added", status=409
            ) from exc
        raise
