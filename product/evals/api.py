"""Evaluation over the API: feedback, datasets and items, runs, comparisons.

Feedback: `POST /feedback` rates an answer (`target` + `subject_id`: a chat reply's message id for
`chat.reply`, a question's id for `ask.once`); rating the same answer again changes the caller's one
rating of it (200 instead of 201). `POST /feedback/{id}/dataset-items` turns it into an item.

Datasets are versioned: every write (add, edit, delete an item, an import) answers with the new
version it made; `?version=N` reads an older one, which never changes. Imports are multipart
(`file`, optional `format` and `replace`) and store all rows or none: a bad file is a 422 whose
`details` list each problem as `{"row", "field", "message"}`. Anything outside the key's workspace
is a 404.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from product.apikeys.auth import require_scope
from product.core.errors import InvalidInput, KeelError
from product.core.idempotency import IdempotencyKeyHeader, run_idempotent
from product.core.pagination import cursor_paginated
from product.core.uploads import (
    MULTIPART_FRAMING_BYTES,
    accepts_large_body,
    megabytes,
    megabytes_limit,
)
from product.evals import io, selectors, services
from product.evals.errors import ImportRejected
from product.evals.models import Dataset, DatasetItem, DatasetVersion, Feedback
from product.evals.views import MAX_IMPORT_BYTES, export_response

router = Router(tags=["evals"])


# --- shapes -------------------------------------------------------------------------------


class ExampleOut(Schema):
    input: dict[str, Any] = Field(description="The target's input (what was asked).")
    output: str = Field(description="The answer as it was rated.")
    model: str
    prompt_name: str
    prompt_version: str
    sources: list[str] = Field(description="Documents the answer cited (grounded replies).")
    llm_call_id: str | None
    url: str = Field(description="The page that shows the answer.")


class FeedbackIn(Schema):
    target: str = Field(
        max_length=64,
        description="The rated feature: `chat.reply` (a reply's message id) or `ask.once` (a "
        "question's id).",
        examples=["ask.once"],
    )
    subject_id: uuid.UUID = Field(description="The id of the rated answer in its feature.")
    rating: Literal["up", "down"] = Field(examples=["down"])
    comment: str = Field("", max_length=services.MAX_COMMENT_CHARS, examples=["Too long."])


class FeedbackOut(Schema):
    id: uuid.UUID
    target: str
    subject_id: uuid.UUID
    rating: str = Field(examples=["down"])
    comment: str
    example: ExampleOut = Field(description="The snapshot taken when it was rated.")
    llm_call_id: uuid.UUID | None = Field(description="The ledger call that answered.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def from_feedback(feedback: Feedback) -> FeedbackOut:
        example = feedback.example or {}
        return FeedbackOut(
            id=feedback.pk,
            target=feedback.target,
            subject_id=feedback.subject_id,
            rating=feedback.rating,
            comment=feedback.comment,
            example=ExampleOut(
                input=example.get("input") or {},
                output=str(example.get("output", "")),
                model=str(example.get("model", "")),
                prompt_name=str(example.get("prompt_name", "")),
                prompt_version=str(example.get("prompt_version", "")),
                sources=[str(s) for s in example.get("sources") or []],
                llm_call_id=example.get("llm_call_id"),
                url=str(example.get("url", "")),
            ),
            llm_call_id=feedback.llm_call_id,
            created_at=feedback.created_at,
            updated_at=feedback.updated_at,
        )


class FeedbackFilters(Schema):
    rating: Literal["up", "down"] | None = None
    target: str | None = Field(None, max_length=64, description="A target, e.g. chat.reply.")


class AddToDatasetIn(Schema):
    dataset_id: uuid.UUID = Field(description="A dataset of the feedback's target.")


class DatasetIn(Schema):
    name: str = Field(
        min_length=1,
        max_length=services.MAX_DATASET_NAME_CHARS,
        description="Unique in the workspace.",
        examples=["Support questions"],
    )
    target: str = Field(
        max_length=64,
        description="The feature whose input the items hold: `ask.once`, `chat.reply`, "
        "`knowledge.answer`, or another registered target.",
        examples=["ask.once"],
    )
    description: str = Field("", max_length=services.MAX_DESCRIPTION_CHARS)


class DatasetOut(Schema):
    id: uuid.UUID
    name: str
    description: str
    target: str
    current_version: int = Field(description="The newest version's number (0: no items yet).")
    created_at: datetime
    updated_at: datetime


class VersionOut(Schema):
    id: uuid.UUID
    dataset_id: uuid.UUID
    number: int
    note: str = Field(examples=["Imported 40 items from cases.jsonl"])
    item_count: int
    created_at: datetime


class ItemOut(Schema):
    id: uuid.UUID = Field(description="This version's row of the item.")
    key: uuid.UUID = Field(description="The item's key: the same in every version.")
    version: int = Field(description="The version this row belongs to.")
    position: int
    input: dict[str, Any]
    reference: str
    expected_sources: list[str]
    tags: list[str]
    metadata: dict[str, Any]
    source_call_id: uuid.UUID | None = Field(description="The ledger call it was made from.")

    @staticmethod
    def from_item(item: DatasetItem) -> ItemOut:
        return ItemOut(
            id=item.pk,
            key=item.key,
            version=item.version.number,
            position=item.position,
            input=item.input,
            reference=item.reference,
            expected_sources=list(item.expected_sources),
            tags=list(item.tags),
            metadata=dict(item.metadata),
            source_call_id=item.source_call_id,
        )


class ItemIn(Schema):
    key: str | None = Field(
        None,
        max_length=io.MAX_KEY_CHARS,
        description="A UUID, or a name the key is derived from (stable across databases); "
        "omitted: a new random key.",
    )
    input: dict[str, Any] = Field(
        description='The target\'s input, e.g. {"task": "summarise", "text": "..."}.',
        examples=[{"task": "summarise", "text": "Keel ships AI products."}],
    )
    reference: str = ""
    expected_sources: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)


class ItemPatch(Schema):
    input: dict[str, Any] | None = None
    reference: str | None = None
    expected_sources: list[str] | None = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None


class ItemChangeOut(Schema):
    version: VersionOut = Field(description="The version the change made.")
    item: ItemOut | None = Field(description="The item in that version (null once deleted).")


class VersionQuery(Schema):
    version: int | None = Field(None, ge=1, description="A version's number; omitted: current.")


class ExportQuery(VersionQuery):
    format: Literal["jsonl", "csv"] = "jsonl"


# --- helpers ------------------------------------------------------------------------------


def _version_out(version: DatasetVersion) -> dict[str, Any]:
    return VersionOut.model_validate(version).model_dump(mode="json")


def _dataset(request: HttpRequest, dataset_id: uuid.UUID, scope: str) -> tuple[Any, Dataset]:
    who = require_scope(request, scope)
    return who, selectors.get_dataset_for_user(who.user, dataset_id, workspace=who.workspace)


# --- feedback -----------------------------------------------------------------------------


@router.post(
    "/feedback",
    response={200: FeedbackOut, 201: FeedbackOut},
    summary="Rate an answer",
    description="Thumbs up or down, with an optional comment. The first rating of an answer by "
    "the caller is a 201; rating it again changes that rating and answers 200. An answer that "
    "does not exist in the workspace, or is unfinished: 404 `no_such_answer`.",
)
def create_feedback(
    request: HttpRequest, payload: FeedbackIn, idempotency_key: IdempotencyKeyHeader = None
) -> Status[Any]:
    who = require_scope(request, "write")

    def create() -> tuple[int, Any]:
        existed = Feedback.objects.filter(
            user=who.user, target=payload.target, subject_id=payload.subject_id
        ).exists()
        feedback = services.record_feedback(
            workspace=who.workspace,
            user=who.user,
            target=payload.target,
            subject_id=payload.subject_id,
            rating=payload.rating,
            comment=payload.comment,
        )
        return (200 if existed else 201), FeedbackOut.from_feedback(feedback).model_dump(
            mode="json"
        )

    status, body = run_idempotent(
        actor=who,
        scope="evals.feedback",
        key=idempotency_key,
        payload=payload.model_dump(mode="json"),
        create=create,
    )
    return Status(status, body)


@router.get("/feedback", response=list[FeedbackOut], summary="List the workspace's feedback")
@cursor_paginated(transform=FeedbackOut.from_feedback)
def list_feedback(request: HttpRequest, filters: Query[FeedbackFilters]) -> Any:
    who = require_scope(request, "read")
    return selectors.feedback_for_workspace(
        who.workspace, rating=filters.rating, target=filters.target
    )


@router.get("/feedback/{feedback_id}", response=FeedbackOut, summary="Read a feedback")
def get_feedback(request: HttpRequest, feedback_id: uuid.UUID) -> FeedbackOut:
    who = require_scope(request, "read")
    return FeedbackOut.from_feedback(
        selectors.get_feedback_for_user(who.user, feedback_id, workspace=who.workspace)
    )


@router.post(
    "/feedback/{feedback_id}/dataset-items",
    response={201: ItemOut},
    summary="Add a rated answer to a dataset",
    description="The answer's input becomes an item; a thumbs-up's output becomes its reference. "
    "The dataset must hold the same target's cases (422 `target_mismatch`); the same feedback "
    "twice in one dataset is a 409 `already_added`.",
    openapi_extra={"responses": {409: {"description": "`already_added`."}}},
)
def add_feedback_to_dataset(
    request: HttpRequest,
    feedback_id: uuid.UUID,
    payload: AddToDatasetIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Status[Any]:
    who = require_scope(request, "write")
    feedback = selectors.get_feedback_for_user(who.user, feedback_id, workspace=who.workspace)
    dataset = selectors.get_dataset_for_user(who.user, payload.dataset_id, workspace=who.workspace)

    def create() -> tuple[int, Any]:
        item = services.add_feedback_to_dataset(feedback=feedback, dataset=dataset, user=who.user)
        return 201, ItemOut.from_item(item).model_dump(mode="json")

    status, body = run_idempotent(
        actor=who,
        scope="evals.feedback_item",
        key=idempotency_key,
        payload={"feedback": str(feedback.pk), **payload.model_dump(mode="json")},
        create=create,
    )
    return Status(status, body)


# --- datasets -----------------------------------------------------------------------------


@router.post(
    "/datasets",
    response={201: DatasetOut},
    summary="Create a dataset",
    description="Empty (version 0); the first item or import makes version 1.",
    openapi_extra={"responses": {409: {"description": "`name_taken`: the name is in use."}}},
)
def create_dataset(
    request: HttpRequest, payload: DatasetIn, idempotency_key: IdempotencyKeyHeader = None
) -> Status[Any]:
    who = require_scope(request, "write")

    def create() -> tuple[int, Any]:
        dataset = services.create_dataset(
            workspace=who.workspace,
            user=who.user,
            name=payload.name,
            target=payload.target,
            description=payload.description,
        )
        return 201, DatasetOut.model_validate(dataset).model_dump(mode="json")

    status, body = run_idempotent(
        actor=who,
        scope="evals.dataset",
        key=idempotency_key,
        payload=payload.model_dump(mode="json"),
        create=create,
    )
    return Status(status, body)


@router.get("/datasets", response=list[DatasetOut], summary="List datasets")
@cursor_paginated(order_by="name", descending=False)
def list_datasets(request: HttpRequest) -> Any:
    who = require_scope(request, "read")
    return selectors.datasets_for_workspace(who.workspace)


@router.get("/datasets/{dataset_id}", response=DatasetOut, summary="Read a dataset")
def get_dataset(request: HttpRequest, dataset_id: uuid.UUID) -> Any:
    _who, dataset = _dataset(request, dataset_id, "read")
    return dataset


@router.get(
    "/datasets/{dataset_id}/versions",
    response=list[VersionOut],
    summary="List a dataset's versions",
    description="Newest first, each with what changed.",
)
@cursor_paginated(order_by="number")
def list_dataset_versions(request: HttpRequest, dataset_id: uuid.UUID) -> Any:
    _who, dataset = _dataset(request, dataset_id, "read")
    return selectors.versions_of(dataset)


@router.get(
    "/datasets/{dataset_id}/items",
    response=list[ItemOut],
    summary="List a version's items",
    description="The current version's items in order, or `?version=N`'s. An empty dataset: 404.",
)
@cursor_paginated(order_by="position", descending=False, transform=ItemOut.from_item)
def list_dataset_items(
    request: HttpRequest, dataset_id: uuid.UUID, query: Query[VersionQuery]
) -> Any:
    _who, dataset = _dataset(request, dataset_id, "read")
    version = selectors.get_version(dataset, query.version)
    return selectors.items_of(version).select_related("version")


@router.post(
    "/datasets/{dataset_id}/items",
    response={201: ItemChangeOut},
    summary="Add an item",
    description="Makes a new version with the item appended. The input is checked against the "
    "dataset's target (422 with each field's problem).",
    openapi_extra={"responses": {409: {"description": "`item_exists`: the key is taken."}}},
)
def create_dataset_item(
    request: HttpRequest,
    dataset_id: uuid.UUID,
    payload: ItemIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Status[Any]:
    who, dataset = _dataset(request, dataset_id, "write")

    def create() -> tuple[int, Any]:
        item = services.add_item(
            dataset=dataset,
            user=who.user,
            input=payload.input,
            reference=payload.reference,
            expected_sources=payload.expected_sources,
            tags=payload.tags,
            metadata=payload.metadata,
            key=payload.key or None,
        )
        out = ItemChangeOut(
            version=VersionOut.model_validate(item.version), item=ItemOut.from_item(item)
        )
        return 201, out.model_dump(mode="json")

    status, body = run_idempotent(
        actor=who,
        scope="evals.item",
        key=idempotency_key,
        payload={"dataset": str(dataset.pk), **payload.model_dump(mode="json")},
        create=create,
    )
    return Status(status, body)


@router.patch(
    "/datasets/{dataset_id}/items/{item_key}",
    response=ItemChangeOut,
    summary="Edit an item",
    description="`item_key` is the item's key (or the name it was derived from). Makes a new "
    "version in which the item has the fields sent; older versions keep it as it was.",
)
def update_dataset_item(
    request: HttpRequest, dataset_id: uuid.UUID, item_key: str, payload: ItemPatch
) -> ItemChangeOut:
    who, dataset = _dataset(request, dataset_id, "write")
    fields = payload.model_dump(exclude_unset=True)
    if not fields:
        raise InvalidInput(
            "Send at least one field to change.",
            code="validation_error",
            details=[{"field": "body", "message": "Nothing to change."}],
        )
    key = io.item_key(item_key)
    version = services.update_item(dataset=dataset, user=who.user, key=key, **fields)
    item = selectors.get_item(version, key)
    return ItemChangeOut(version=VersionOut.model_validate(version), item=ItemOut.from_item(item))


@router.delete(
    "/datasets/{dataset_id}/items/{item_key}",
    response=ItemChangeOut,
    summary="Delete an item",
    description="Makes a new version without it; older versions keep it.",
)
def delete_dataset_item(
    request: HttpRequest, dataset_id: uuid.UUID, item_key: str
) -> ItemChangeOut:
    who, dataset = _dataset(request, dataset_id, "write")
    version = services.delete_item(dataset=dataset, user=who.user, key=io.item_key(item_key))
    return ItemChangeOut(version=VersionOut.model_validate(version), item=None)


def _import_cap() -> int:
    return MAX_IMPORT_BYTES + MULTIPART_FRAMING_BYTES


def _import_refusal(size: int) -> str:
    return f"This upload is {megabytes(size)}; the limit is {megabytes_limit(MAX_IMPORT_BYTES)}."


@router.post(
    "/datasets/{dataset_id}/import",
    response={201: VersionOut},
    summary="Import items from a file",
    description=(
        "`multipart/form-data` with the file in `file` (JSONL: one JSON object per line; CSV: "
        "the columns key, input, reference, expected_sources, tags, metadata), up to "
        f"{MAX_IMPORT_BYTES // 1_048_576} MB. The format comes from `format` or the file's "
        "extension. Rows are added in one new version (`replace=true`: they replace all items). "
        "Any bad row: 422 `import_rejected` with every problem in `details` as "
        '`{"row", "field", "message"}`, and nothing is stored.'
    ),
)
@accepts_large_body(max_bytes=_import_cap, refusal=_import_refusal)
def import_dataset_items(
    request: HttpRequest,
    dataset_id: uuid.UUID,
    file: Annotated[UploadedFile | None, File(description="The JSONL or CSV file.")] = None,
    format: Annotated[  # noqa: A002 (the form field's public name)
        Literal["", "jsonl", "csv"], Form(description="jsonl or csv; empty: from the name.")
    ] = "",
    replace: Annotated[bool, Form(description="Replace all items instead of adding.")] = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Status[Any]:
    who, dataset = _dataset(request, dataset_id, "write")
    if (request.content_type or "").lower() != "multipart/form-data":
        raise KeelError(
            "Send the file as multipart/form-data, in a part named `file`.",
            code="unsupported_media_type",
            status=415,
        )
    if file is None:
        raise InvalidInput(
            "Send the file in a multipart part named `file`.",
            code="validation_error",
            details=[{"field": "body.file", "message": "Required."}],
        )
    if int(file.size or 0) > MAX_IMPORT_BYTES:
        raise ImportRejected(_import_refusal(int(file.size or 0)), code="too_large", status=413)
    name = file.name or ""
    fmt = io.format_for(name, format)
    data = file.read()

    def create() -> tuple[int, Any]:
        version = services.import_items(
            dataset=dataset, user=who.user, content=data, fmt=fmt, filename=name, replace=replace
        )
        return 201, _version_out(version)

    status, body = run_idempotent(
        actor=who,
        scope="evals.import",
        key=idempotency_key,
        payload={
            "dataset": str(dataset.pk),
            "format": fmt,
            "replace": replace,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        create=create,
    )
    return Status(status, body)


@router.get(
    "/datasets/{dataset_id}/export",
    response={200: None},
    summary="Export a version's items",
    description="A file download (`Content-Disposition: attachment`): JSONL "
    "(`application/x-ndjson`) or CSV (`text/csv`), in the format import reads back unchanged.",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file.",
                "content": {
                    "application/x-ndjson": {"schema": {"type": "string"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    },
)
def export_dataset_items(
    request: HttpRequest, dataset_id: uuid.UUID, query: Query[ExportQuery]
) -> HttpResponse:
    _who, dataset = _dataset(request, dataset_id, "read")
    version = selectors.get_version(dataset, query.version)
    return export_response(dataset, version, query.format)
