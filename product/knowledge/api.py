"""Knowledge over the API: collections, document uploads and their ingestion, search, passages,
and the workspace's embedding model.

Uploads are `multipart/form-data` with one `file` per request, up to
`KNOWLEDGE_MAX_UPLOAD_BYTES` (the one route allowed a body over the API's cap), idempotent with an
`Idempotency-Key`. The answer is a 202 with the document, whose ingestion runs as a job: poll
`GET /documents/{id}` until `status` is `ready` or `failed`. Uploading a name the collection
already has is a new version of that document (the same id); the same bytes again change nothing
and say `unchanged: true`. Anything outside the key's workspace is a 404.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, File, Path, Router, Schema, Status, UploadedFile

from product.accounts.selectors import get_membership
from product.apikeys.auth import require_scope
from product.core.errors import InvalidInput, KeelError
from product.core.idempotency import IdempotencyKeyHeader, run_idempotent
from product.core.pagination import cursor_paginated
from product.core.text import NO_NUL_PATTERN
from product.core.uploads import (
    MULTIPART_FRAMING_BYTES,
    accepts_large_body,
    megabytes,
    megabytes_limit,
)
from product.jobs.api import JobOut
from product.knowledge import parsing, prompts, selectors, services
from product.knowledge.models import Chunk, Collection, Document, EmbeddingIndex
from product.knowledge.selectors import (
    get_collection_for_user,
    get_document_for_user,
    get_passage_for_user,
)

router = Router(tags=["knowledge"])

# Non-blank text without NUL: one non-space character that `str.split` would not drop (it also
# splits on \x1c-\x1f, which JSON Schema's \s leaves out), as the services require.
NON_BLANK = "^[^\\u0000]*[^\\s\\u0000\\u001c-\\u001f][^\\u0000]*$"
EMBEDDING_MODELS = tuple(sorted(settings.KNOWLEDGE_EMBEDDING_MODELS))


# --- shapes -------------------------------------------------------------------------------


class CollectionIn(Schema):
    name: str = Field(
        min_length=1,
        max_length=prompts.MAX_COLLECTION_NAME_CHARS,
        pattern=NON_BLANK,
        description="Unique in the workspace; surrounding and repeated whitespace is collapsed.",
        examples=["Team handbook"],
    )
    description: str = Field(
        "",
        max_length=prompts.MAX_DESCRIPTION_CHARS,
        pattern=NO_NUL_PATTERN,
        examples=["How we work."],
    )


class CollectionPatch(Schema):
    name: str | None = Field(
        None, min_length=1, max_length=prompts.MAX_COLLECTION_NAME_CHARS, pattern=NON_BLANK
    )
    description: str | None = Field(
        None, max_length=prompts.MAX_DESCRIPTION_CHARS, pattern=NO_NUL_PATTERN
    )


class CollectionOut(Schema):
    id: uuid.UUID
    name: str
    description: str
    document_count: int = Field(description="Documents in the collection, in any state.")
    ready_count: int = Field(description="Documents searchable now.")
    created_at: datetime
    updated_at: datetime


class DocumentOut(Schema):
    id: uuid.UUID
    collection_id: uuid.UUID
    name: str = Field(examples=["handbook.pdf"])
    kind: str = Field(description="pdf, docx, html, markdown or text", examples=["pdf"])
    size_bytes: int
    sha256: str
    title: str
    status: str = Field(
        description="queued, parsing, chunking, embedding, indexing, ready or failed",
        examples=["embedding"],
    )
    progress: int = Field(ge=0, le=100, description="The ingestion job's progress, in percent.")
    error_code: str = Field(examples=[""])
    error_message: str = Field(description="Why it failed, for a person; empty unless failed.")
    page_count: int | None = Field(description="PDFs only.")
    chunk_count: int
    embedded_count: int = Field(description="Chunks embedded so far (of `chunk_count`).")
    generation: int = Field(description="The version: each changed re-upload adds one.")
    job: JobOut | None = Field(description="The latest ingestion job.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def from_document(document: Document) -> DocumentOut:
        job = document.job
        return DocumentOut(
            id=document.pk,
            collection_id=document.collection_id,
            name=document.name,
            kind=document.kind,
            size_bytes=document.size_bytes,
            sha256=document.sha256,
            title=document.title,
            status=document.current_status,
            progress=document.progress,
            error_code=document.error_code,
            error_message=document.failure_message,
            page_count=document.page_count,
            chunk_count=document.chunk_count,
            embedded_count=document.embedded_count,
            generation=document.generation,
            job=JobOut.model_validate(job) if job is not None else None,
            created_at=document.created_at,
            updated_at=document.updated_at,
        )


class UploadOut(DocumentOut):
    created: bool = Field(description="A new document (else a new version of the one named so).")
    unchanged: bool = Field(description="The same bytes as the current version: nothing to do.")


class SearchIn(Schema):
    query: str = Field(
        min_length=1,
        max_length=prompts.MAX_QUERY_CHARS,
        pattern=NON_BLANK,
        examples=["How do I install it on Linux?"],
    )
    k: int = Field(
        prompts.DEFAULT_SEARCH_K,
        ge=1,
        le=prompts.MAX_SEARCH_K,
        description="Passages per list.",
    )


class PassageOut(Schema):
    chunk_id: int = Field(description="Read it whole at `GET /passages/{chunk_id}`.")
    document_id: uuid.UUID
    document_name: str
    collection_id: uuid.UUID
    text: str
    heading: str = Field(description="Heading path, e.g. “Install › Linux”.")
    page: int | None
    char_start: int
    char_end: int
    score: float = Field(
        description="Of the list it is in: RRF when fused, rank score for keyword, cosine for vector."
    )
    keyword_rank: int | None = None
    vector_rank: int | None = None
    vector_similarity: float | None = None


class SearchOut(Schema):
    query: str
    index_model: str | None = Field(
        description="The embedding model that answered (null: none yet)."
    )
    fused: list[PassageOut] = Field(description="Both legs fused by reciprocal rank.")
    keyword: list[PassageOut]
    vector: list[PassageOut]


class PassageDetailOut(Schema):
    id: int
    document_id: uuid.UUID
    document_name: str
    collection_id: uuid.UUID
    ordinal: int = Field(description="Position in the document, from 0.")
    text: str
    heading: str
    page: int | None
    locator: str = Field(examples=["page 3 · Install › Linux"])
    char_start: int
    char_end: int
    before: str = Field(description="The passage before it in the document (empty at the start).")
    after: str = Field(description="The passage after it (empty at the end).")


class EmbeddingIndexOut(Schema):
    id: uuid.UUID
    model: str = Field(examples=["keel-dev-embed"])
    dimensions: int
    status: str = Field(description="active or building")
    progress: int = Field(ge=0, le=100, description="The build's progress; 100 when active.")
    embedded: int = Field(description="Passages with a vector in this index.")
    total: int = Field(description="Passages of the workspace.")
    job: JobOut | None = Field(description="The build job (a switch only).")
    created_at: datetime
    activated_at: datetime | None


class EmbeddingModelOut(Schema):
    model: str
    dimensions: int


class EmbeddingIndexStateOut(Schema):
    active: EmbeddingIndexOut | None = Field(
        description="Answers searches now (null: no upload yet)."
    )
    building: EmbeddingIndexOut | None = Field(description="A switch in progress, if any.")
    default_model: str = Field(description="The model of a workspace's first index.")
    models: list[EmbeddingModelOut] = Field(description="The models a workspace may switch to.")


class EmbeddingModelIn(Schema):
    model: Literal[EMBEDDING_MODELS] = Field(  # type: ignore[valid-type]
        description="One of `models` of `GET /embedding-index`.",
        examples=["keel-dev-embed-large"],
    )


# --- helpers ------------------------------------------------------------------------------


def _collection_out(collection: Collection) -> CollectionOut:
    counted = selectors.collections_for_workspace(collection.workspace).get(pk=collection.pk)
    return CollectionOut.model_validate(counted)


def _index_out(index: EmbeddingIndex) -> EmbeddingIndexOut:
    embedded, total = selectors.index_progress(index)
    job = index.job
    if index.status == EmbeddingIndex.Status.ACTIVE:
        progress = 100
    else:
        progress = job.progress if job is not None else 0
    return EmbeddingIndexOut(
        id=index.pk,
        model=index.model,
        dimensions=index.dimensions,
        status=index.status,
        progress=progress,
        embedded=embedded,
        total=total,
        job=JobOut.model_validate(job) if job is not None else None,
        created_at=index.created_at,
        activated_at=index.activated_at,
    )


def _index_state(workspace: Any) -> EmbeddingIndexStateOut:
    active = selectors.active_index(workspace)
    building = selectors.building_index(workspace)
    return EmbeddingIndexStateOut(
        active=_index_out(active) if active is not None else None,
        building=_index_out(building) if building is not None else None,
        default_model=settings.KNOWLEDGE_EMBEDDING_MODEL,
        models=[
            EmbeddingModelOut(model=model, dimensions=int(spec["dimensions"]))
            for model, spec in sorted(settings.KNOWLEDGE_EMBEDDING_MODELS.items())
        ],
    )


def upload_body_cap() -> int:
    return int(settings.KNOWLEDGE_MAX_UPLOAD_BYTES) + MULTIPART_FRAMING_BYTES


def upload_refusal(size: int) -> str:
    return (
        f"This upload is {megabytes(size)}; the limit is "
        f"{megabytes_limit(settings.KNOWLEDGE_MAX_UPLOAD_BYTES)} per file."
    )


def _uploaded_file(request: HttpRequest, file: UploadedFile | None) -> UploadedFile:
    media_type = (request.content_type or "").lower()
    if media_type != "multipart/form-data":
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
    return file


# --- collections --------------------------------------------------------------------------


@router.post(
    "/collections",
    response={201: CollectionOut},
    summary="Create a collection",
    openapi_extra={"responses": {409: {"description": "`name_taken`: the name is in use."}}},
)
def create_collection(request: HttpRequest, payload: CollectionIn) -> tuple[int, CollectionOut]:
    who = require_scope(request, "write")
    collection = services.create_collection(
        workspace=who.workspace,
        user=who.user,
        name=payload.name,
        description=payload.description,
    )
    return 201, _collection_out(collection)


@router.get("/collections", response=list[CollectionOut], summary="List collections")
@cursor_paginated(order_by="name", descending=False)
def list_collections(request: HttpRequest) -> Any:
    who = require_scope(request, "read")
    return selectors.collections_for_workspace(who.workspace)


@router.get("/collections/{collection_id}", response=CollectionOut, summary="Read a collection")
def get_collection(request: HttpRequest, collection_id: uuid.UUID) -> CollectionOut:
    who = require_scope(request, "read")
    collection = get_collection_for_user(who.user, collection_id, workspace=who.workspace)
    return _collection_out(collection)


@router.patch(
    "/collections/{collection_id}",
    response=CollectionOut,
    summary="Rename or describe a collection",
    openapi_extra={"responses": {409: {"description": "`name_taken`: the name is in use."}}},
)
def update_collection(
    request: HttpRequest, collection_id: uuid.UUID, payload: CollectionPatch
) -> CollectionOut:
    who = require_scope(request, "write")
    collection = get_collection_for_user(who.user, collection_id, workspace=who.workspace)
    services.update_collection(
        collection=collection, name=payload.name, description=payload.description
    )
    return _collection_out(collection)


@router.delete(
    "/collections/{collection_id}",
    response={204: None},
    summary="Delete a collection",
    description="With its documents, their passages and vectors, in one commit.",
)
def delete_collection(request: HttpRequest, collection_id: uuid.UUID) -> tuple[int, None]:
    who = require_scope(request, "write")
    collection = get_collection_for_user(who.user, collection_id, workspace=who.workspace)
    services.delete_collection(collection=collection)
    return 204, None


# --- documents ----------------------------------------------------------------------------


@router.post(
    "/collections/{collection_id}/documents",
    response={202: UploadOut},
    summary="Upload a document",
    description=(
        "One file per request as `multipart/form-data` (part `file`), up to "
        f"{settings.KNOWLEDGE_MAX_UPLOAD_BYTES // 1_048_576} MB: PDF, DOCX, HTML, Markdown or "
        "plain text, told apart by their first bytes. Answers 202 and ingests it as a job; poll "
        "`GET /documents/{id}` until `status` is `ready` or `failed`. The same name again is a "
        "new version of that document (same id); the same bytes again say `unchanged: true`. A "
        "file over the limit is a 413 and an unsupported or empty one a 422, naming the file, "
        "and nothing is stored."
    ),
    openapi_extra={
        "responses": {
            413: {"description": "`body_too_large` / `too_large`: the file is over the limit."}
        }
    },
)
@accepts_large_body(max_bytes=upload_body_cap, refusal=upload_refusal)
def upload_document(
    request: HttpRequest,
    collection_id: uuid.UUID,
    file: Annotated[UploadedFile | None, File(description="The document.")] = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Status[Any]:
    who = require_scope(request, "write")
    collection = get_collection_for_user(who.user, collection_id, workspace=who.workspace)
    upload = _uploaded_file(request, file)
    name = parsing.safe_filename(upload.name or "")
    # Size before reading: an oversized file is refused without being read into memory.
    services.check_upload(filename=name, size=int(upload.size or 0))
    data = upload.read()

    def create() -> tuple[int, Any]:
        result = services.upload_document(
            collection=collection,
            user=who.user,
            filename=name,
            data=data,
            idempotency_key=idempotency_key,
        )
        out = UploadOut(
            **DocumentOut.from_document(result.document).model_dump(),
            created=result.created,
            unchanged=result.unchanged,
        )
        return 202, out.model_dump(mode="json")

    status, body = run_idempotent(
        actor=who,
        scope="knowledge.upload",
        key=idempotency_key,
        payload={
            "collection": str(collection.pk),
            "name": name,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        create=create,
    )
    return Status(status, body)


@router.get(
    "/collections/{collection_id}/documents",
    response=list[DocumentOut],
    summary="List a collection's documents",
    description="Newest first, each with its status, progress and counts.",
)
@cursor_paginated(transform=DocumentOut.from_document)
def list_documents(request: HttpRequest, collection_id: uuid.UUID) -> Any:
    who = require_scope(request, "read")
    collection = get_collection_for_user(who.user, collection_id, workspace=who.workspace)
    return selectors.documents_in_collection(collection)


@router.get("/documents/{document_id}", response=DocumentOut, summary="Read a document")
def get_document(request: HttpRequest, document_id: uuid.UUID) -> DocumentOut:
    who = require_scope(request, "read")
    document = get_document_for_user(who.user, document_id, workspace=who.workspace)
    return DocumentOut.from_document(document)


@router.post(
    "/documents/{document_id}/retry",
    response={202: DocumentOut},
    summary="Retry a failed document",
    description="Ingests the stored file again. A document that has not failed: 409.",
    openapi_extra={"responses": {409: {"description": "`not_failed`: nothing to retry."}}},
)
def retry_document(request: HttpRequest, document_id: uuid.UUID) -> tuple[int, DocumentOut]:
    who = require_scope(request, "write")
    document = get_document_for_user(who.user, document_id, workspace=who.workspace)
    document = services.retry_document(document=document, user=who.user)
    return 202, DocumentOut.from_document(
        get_document_for_user(who.user, document.pk, workspace=who.workspace)
    )


@router.delete(
    "/documents/{document_id}",
    response={204: None},
    summary="Delete a document",
    description="From this answer on nothing of it is searchable; a running ingestion stops.",
)
def delete_document(request: HttpRequest, document_id: uuid.UUID) -> tuple[int, None]:
    who = require_scope(request, "write")
    document = get_document_for_user(who.user, document_id, workspace=who.workspace)
    services.delete_document(document=document, user=who.user)
    return 204, None


# --- search and passages ------------------------------------------------------------------


@router.post(
    "/collections/{collection_id}/search",
    response=SearchOut,
    summary="Search a collection",
    description=(
        "Hybrid search: a keyword leg and a vector leg (the workspace's active embedding "
        "model; the query's embedding is charged like any model call), fused by reciprocal "
        "rank. Each list holds up to `k` passages."
    ),
)
def search_collection(
    request: HttpRequest, collection_id: uuid.UUID, payload: SearchIn
) -> SearchOut:
    who = require_scope(request, "read")
    collection = get_collection_for_user(who.user, collection_id, workspace=who.workspace)
    results = services.search_collection(
        user=who.user, collection=collection, query=payload.query, k=payload.k
    )
    return SearchOut.model_validate(results, from_attributes=True)


@router.get("/passages/{passage_id}", response=PassageDetailOut, summary="Read a passage")
def get_passage(
    request: HttpRequest,
    passage_id: Annotated[int, Path(ge=1, le=selectors.MAX_CHUNK_ID)],
) -> PassageDetailOut:
    """A search hit or a citation, whole, with its neighbours' text."""
    who = require_scope(request, "read")
    passage = get_passage_for_user(who.user, passage_id, workspace=who.workspace)
    neighbours: dict[int, Chunk] = {
        chunk.ordinal: chunk for chunk in selectors.passage_context(passage, around=1)
    }
    before = neighbours.get(passage.ordinal - 1)
    after = neighbours.get(passage.ordinal + 1)
    return PassageDetailOut(
        id=passage.pk,
        document_id=passage.document_id,
        document_name=passage.document.name,
        collection_id=passage.collection_id,
        ordinal=passage.ordinal,
        text=passage.text,
        heading=passage.heading,
        page=passage.page,
        locator=passage.locator,
        char_start=passage.char_start,
        char_end=passage.char_end,
        before=before.text if before is not None else "",
        after=after.text if after is not None else "",
    )


# --- the embedding model ------------------------------------------------------------------


@router.get(
    "/embedding-index",
    response=EmbeddingIndexStateOut,
    summary="Read the workspace's embedding model",
    description="The active index, a switch in progress with its progress, and the choices.",
)
def get_embedding_index(request: HttpRequest) -> EmbeddingIndexStateOut:
    who = require_scope(request, "read")
    return _index_state(who.workspace)


@router.post(
    "/embedding-index",
    response={202: EmbeddingIndexStateOut},
    summary="Switch the embedding model",
    description=(
        "Owners and admins only (403 otherwise). Builds an index with `model` in the "
        "background; the current one answers searches until it is complete, then they swap "
        "at once. Poll `GET /embedding-index` for `building.progress`."
    ),
    openapi_extra={
        "responses": {
            409: {"description": "`same_model` or `switch_in_progress`: nothing was started."}
        }
    },
)
def switch_embedding_model(
    request: HttpRequest, payload: EmbeddingModelIn
) -> tuple[int, EmbeddingIndexStateOut]:
    who = require_scope(request, "write")
    membership = get_membership(user=who.user, workspace_id=who.workspace.pk)
    services.switch_embedding_model(membership=membership, model=payload.model)
    return 202, _index_state(who.workspace)


@router.post(
    "/embedding-index/cancel",
    response=EmbeddingIndexStateOut,
    summary="Cancel a switch of the embedding model",
    description="Owners and admins only. The active index never changed; the new one is dropped.",
    openapi_extra={"responses": {409: {"description": "`no_switch`: none is in progress."}}},
)
def cancel_index_build(request: HttpRequest) -> EmbeddingIndexStateOut:
    who = require_scope(request, "write")
    membership = get_membership(user=who.user, workspace_id=who.workspace.pk)
    services.cancel_index_build(membership=membership)
    return _index_state(who.workspace)
