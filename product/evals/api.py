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
from product.evals import compare, io, runs, selectors, services
from product.evals.errors import EvalError, ImportRejected
from product.evals.models import Dataset, DatasetItem, DatasetVersion, Feedback, Run, RunCase
from product.evals.registry import GraderSpec, RunConfig
from product.evals.views import MAX_IMPORT_BYTES, export_response
from product.jobs.api import JobOut

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


# --- runs ---------------------------------------------------------------------------------------
# Runs (experiments) and comparisons. `POST /runs` queues one `evals.run` job and answers 202 at
# once; poll `GET /runs/{id}` (its `job.progress`, then `summary`), read the cases with their
# scores from `GET /runs/{id}/cases`. Cancel keeps the finished cases; resume runs only the rest.


class RunConfigIn(Schema):
    model: str = Field("", max_length=128, description="The chat model; empty: the default.")
    prompt_version: str = Field(
        "", max_length=32, description="The target's prompt version; empty: its current one."
    )
    temperature: float | None = Field(None, ge=0, le=2)
    collection_id: uuid.UUID | None = Field(
        None, description="Grounded targets: the collection the answers come from."
    )
    top_k: int = Field(5, ge=1, le=50, description="Grounded targets: passages retrieved.")


class GraderIn(Schema):
    name: str = Field(max_length=64, examples=["contains"])
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"values": ["$40"]}])
    threshold: float | None = Field(
        None, ge=0, le=1, description="A case passes at or above it; omitted: the grader's own."
    )


class RunIn(Schema):
    dataset_id: uuid.UUID
    version: int | None = Field(None, ge=1, description="The dataset version; omitted: current.")
    config: RunConfigIn = Field(default_factory=RunConfigIn)  # type: ignore[arg-type]
    graders: list[GraderIn] = Field(
        min_length=1, max_length=20, examples=[[{"name": "contains", "params": {}}]]
    )
    repeats: int = Field(1, ge=1, le=runs.MAX_REPEATS)
    concurrency: int | None = Field(None, ge=1, description="Cases in flight; omitted: default.")
    name: str = Field("", max_length=200, examples=["Brief prompt, small model"])


class RunOut(Schema):
    id: uuid.UUID
    name: str
    target: str = Field(examples=["ask.once"])
    dataset_id: uuid.UUID
    dataset_name: str
    dataset_version: int
    config: dict[str, Any]
    graders: list[dict[str, Any]]
    repeats: int
    concurrency: int
    prompt_name: str
    prompt_version: str
    case_count: int = Field(description="Items × repeats.")
    created_at: datetime
    job: JobOut

    @staticmethod
    def from_run(run: Run) -> RunOut:
        version = run.dataset_version
        return RunOut(
            id=run.pk,
            name=run.name,
            target=run.target,
            dataset_id=version.dataset_id,
            dataset_name=version.dataset.name,
            dataset_version=version.number,
            config=run.config,
            graders=run.graders,
            repeats=run.repeats,
            concurrency=run.concurrency,
            prompt_name=run.prompt_name,
            prompt_version=run.prompt_version,
            case_count=run.case_count,
            created_at=run.created_at,
            job=JobOut.model_validate(run.job),
        )


class RunDetailOut(RunOut):
    summary: dict[str, Any] = Field(
        description="Per grader: mean over items with its 95% interval, pass rate, scored and "
        "unscored counts; cost, latency percentiles, failed cases."
    )


class ScoreOut(Schema):
    grader: str
    value: float | None = Field(description="0..1; null when unscored.")
    passed: bool | None
    unscored: bool
    explanation: str
    cost_usd: str | None


class CaseOut(Schema):
    id: int
    item_key: uuid.UUID
    repeat: int
    status: str = Field(examples=["done"], description="done, or failed (the target failed).")
    output: str
    details: dict[str, Any] = Field(description="Citations, retrieved documents, context.")
    error_code: str
    error_message: str
    input_tokens: int
    output_tokens: int
    cost_usd: str | None = Field(description="Target and graders; null: a price is unknown.")
    latency_ms: int | None
    call_ids: list[str] = Field(description="Every ledger row of the case.")
    scores: list[ScoreOut]

    @staticmethod
    def from_case(case: RunCase) -> CaseOut:
        return CaseOut(
            id=case.pk,
            item_key=case.item_key,
            repeat=case.repeat,
            status=case.status,
            output=case.output,
            details=case.details,
            error_code=case.error_code,
            error_message=case.error_message,
            input_tokens=case.input_tokens,
            output_tokens=case.output_tokens,
            cost_usd=None if case.cost_usd is None else str(case.cost_usd),
            latency_ms=case.latency_ms,
            call_ids=[str(call_id) for call_id in case.call_ids],
            scores=[
                ScoreOut(
                    grader=score.grader,
                    value=score.value,
                    passed=score.passed,
                    unscored=score.unscored,
                    explanation=score.explanation,
                    cost_usd=None if score.cost_usd is None else str(score.cost_usd),
                )
                for score in case.scores.all()
            ],
        )


class ComparisonQuery(Schema):
    # Counted in the view (2 to 5), after the key's scope: a read-only check comes first.
    runs: list[uuid.UUID] = Field(
        default_factory=list,
        description="2 to 5 run ids, the baseline first (`?runs=a&runs=b`).",
    )


MAX_COMPARED_RUNS = 5


class ComparisonOut(Schema):
    runs: list[RunOut] = Field(description="The baseline first.")
    summaries: list[dict[str, Any]]
    graders: list[str] = Field(description="The baseline's graders another run has too.")
    deltas: list[dict[str, Any]] = Field(
        description="Per grader and candidate: the paired bootstrap of the change over items "
        "both scored (`delta`, `low`, `high`, `n`), and whether it confidently regressed."
    )
    cases: list[dict[str, Any]] = Field(
        description="Per item key, regressions first: each run's output, word diff against the "
        "baseline (escaped HTML), values and deltas per grader."
    )


def _run_detail(run: Run) -> dict[str, Any]:
    out = RunDetailOut(
        **RunOut.from_run(run).model_dump(), summary=compare.summarize(run).as_json()
    )
    return out.model_dump(mode="json")


def _run(request: HttpRequest, run_id: uuid.UUID, scope: str) -> tuple[Any, Run]:
    who = require_scope(request, scope)
    return who, selectors.get_run_for_user(who.user, run_id, workspace=who.workspace)


def comparison_json(result: compare.Comparison) -> dict[str, Any]:
    def number(value: Any) -> str | None:
        return None if value is None else str(value)

    return ComparisonOut(
        runs=[RunOut.from_run(run) for run in result.runs],
        summaries=[summary.as_json() for summary in result.summaries],
        graders=result.graders,
        deltas=[
            {
                "grader": d.grader,
                "run_id": str(d.run_id),
                "delta": None if d.paired is None else d.paired.delta,
                "low": None if d.paired is None else d.paired.low,
                "high": None if d.paired is None else d.paired.high,
                "n": 0 if d.paired is None else d.paired.n,
                "regressed": d.regressed,
                "improved": d.improved,
            }
            for d in result.deltas
        ],
        cases=[
            {
                "item_key": str(case.key),
                "name": case.name,
                "input": case.input,
                "reference": case.reference,
                "worst_delta": case.worst_delta,
                "regressed": case.regressed,
                "cells": [
                    {
                        "run_id": str(cell.run_id),
                        "status": cell.status,
                        "output": cell.output,
                        "diff_html": cell.diff_html,
                        "values": cell.values,
                        "deltas": cell.deltas,
                        "explanations": cell.explanations,
                        "cost_usd": number(cell.cost_usd),
                        "latency_ms": cell.latency_ms,
                    }
                    for cell in case.cells
                ],
            }
            for case in result.cases
        ],
    ).model_dump(mode="json")


@router.post(
    "/runs",
    response={202: RunDetailOut},
    summary="Start a run",
    description="Runs every item of a dataset version (× `repeats`) through the dataset's target "
    "with this configuration and grades each case, as one `evals.run` job. Everything is checked "
    "first (prompt version, collection, graders and their params): a 422 stores nothing.",
)
def create_run(
    request: HttpRequest, payload: RunIn, idempotency_key: IdempotencyKeyHeader = None
) -> Status[Any]:
    who = require_scope(request, "write")

    def create() -> tuple[int, Any]:
        dataset = selectors.get_dataset_for_user(
            who.user, payload.dataset_id, workspace=who.workspace
        )
        version = selectors.get_version(dataset, payload.version)
        config = payload.config
        run = runs.submit_run(
            workspace=who.workspace,
            user=who.user,
            dataset_version=version,
            config=RunConfig(
                model=config.model,
                prompt_version=config.prompt_version,
                temperature=config.temperature,
                collection_id=None if config.collection_id is None else str(config.collection_id),
                top_k=config.top_k,
            ),
            graders=[
                GraderSpec(name=g.name, params=g.params, threshold=g.threshold)
                for g in payload.graders
            ],
            repeats=payload.repeats,
            concurrency=payload.concurrency,
            name=payload.name,
            idempotency_key=idempotency_key,
        )
        return 202, _run_detail(run)

    status, body = run_idempotent(
        actor=who,
        scope="evals.runs.create",
        key=idempotency_key,
        payload=payload.model_dump(mode="json"),
        create=create,
    )
    return Status(status, body)


@router.get("/runs", response=list[RunOut], summary="List the workspace's runs")
@cursor_paginated(transform=RunOut.from_run)
def list_runs(request: HttpRequest) -> Any:
    who = require_scope(request, "read")
    return selectors.runs_for_workspace(who.workspace)


@router.get("/runs/{run_id}", response=RunDetailOut, summary="Read a run and its summary")
def get_run(request: HttpRequest, run_id: uuid.UUID) -> dict[str, Any]:
    _who, run = _run(request, run_id, "read")
    return _run_detail(run)


@router.get(
    "/runs/{run_id}/cases",
    response=list[CaseOut],
    summary="List a run's cases with their scores",
    description="In the order they finished; each case with every grader's score and explanation.",
)
@cursor_paginated(order_by="finished_at", descending=False, transform=CaseOut.from_case)
def list_run_cases(request: HttpRequest, run_id: uuid.UUID) -> Any:
    _who, run = _run(request, run_id, "read")
    return selectors.cases_of(run).order_by()


@router.post("/runs/{run_id}/cancel", response=RunDetailOut, summary="Cancel a run")
def cancel_run(request: HttpRequest, run_id: uuid.UUID) -> dict[str, Any]:
    who, run = _run(request, run_id, "write")
    return _run_detail(runs.cancel_run(run=run, user=who.user))


@router.post(
    "/runs/{run_id}/resume",
    response=RunDetailOut,
    summary="Resume a failed or cancelled run",
    description="Its finished cases are kept; the others run. A finished run: 422.",
)
def resume_run(request: HttpRequest, run_id: uuid.UUID) -> dict[str, Any]:
    who, run = _run(request, run_id, "write")
    return _run_detail(runs.resume_run(run=run, user=who.user))


@router.post(
    "/runs/{run_id}/rerun",
    response={202: RunDetailOut},
    summary="Run it again",
    description="A new run of the same dataset version, configuration, graders and repeats.",
)
def rerun_run(request: HttpRequest, run_id: uuid.UUID) -> Status[Any]:
    who, run = _run(request, run_id, "write")
    return Status(202, _run_detail(runs.rerun(run=run, user=who.user)))


@router.get(
    "/comparisons",
    response=ComparisonOut,
    summary="Compare runs",
    description="`?runs=<baseline>&runs=<candidate>[&runs=…]`: per case the outputs diffed and the "
    "score deltas (regressions first); per grader the paired bootstrap of the change.",
)
def get_comparison(request: HttpRequest, query: Query[ComparisonQuery]) -> dict[str, Any]:
    who = require_scope(request, "read")
    if not 2 <= len(query.runs) <= MAX_COMPARED_RUNS:
        raise EvalError(
            f"Compare 2 to {MAX_COMPARED_RUNS} runs: pass `?runs=<baseline>&runs=<candidate>`.",
            code="too_few_runs",
        )
    chosen = [
        selectors.get_run_for_user(who.user, run_id, workspace=who.workspace)
        for run_id in query.runs
    ]
    return comparison_json(compare.compare(chosen))
