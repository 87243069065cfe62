"""Writes for knowledge: collections, uploads, the ingestion pipeline, deletion, model switches.

The pipeline (`ingest_document`, run by the `knowledge.ingest` job on its own queue):

    parse -> chunk (rows of a new generation, not live) -> embed (only what no index has yet)
          -> index (the generation goes live and the old one goes, in one transaction)

Every step is idempotent, so a worker killed anywhere re-runs the job from the start and only
redoes what is missing: chunk rows are keyed by (document, generation, ordinal), vectors by
(chunk, index), and a vector is reused for any chunk with the same content hash in the same index.
An unchanged re-upload therefore makes no embedding call at all.

Retrieval reads only live chunks and only the workspace's ACTIVE index (retrieval.py). Switching the
embedding model builds a second index in the background (`build_index`) while the first answers,
then swaps them in one transaction; ingestion meanwhile fills every index that is not retired.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from product.accounts.models import Membership, User, Workspace
from product.core import tracing
from product.core.db import release_connection
from product.core.errors import Conflict, InvalidInput, KeelError, NotAllowed
from product.jobs import services as job_services
from product.jobs.models import Job
from product.jobs.registry import JobCancelled, JobContext
from product.knowledge import chunking, parsing, prompts, retrieval
from product.knowledge.models import Chunk, ChunkEmbedding, Collection, Document, EmbeddingIndex
from product.llm import gateway
from product.llm.errors import ProviderError

logger = logging.getLogger(__name__)

# An activation (or a document going live) that finds vectors missing embeds them and tries again;
# more rounds than this means ingestion outpaces the build, which is worth a failure, not a spin.
MAX_CATCH_UP_ROUNDS = 5


# --- collections ----------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("Give the collection a name.", code="name_required")
    if len(name) > prompts.MAX_COLLECTION_NAME_CHARS:
        raise InvalidInput(
            f"The name is {len(name)} characters long; the limit is "
            f"{prompts.MAX_COLLECTION_NAME_CHARS}.",
            code="name_too_long",
        )
    return name


def _check_description(description: str) -> str:
    if len(description) > prompts.MAX_DESCRIPTION_CHARS:
        raise InvalidInput(
            f"The description is {len(description):,} characters long; the limit is "
            f"{prompts.MAX_DESCRIPTION_CHARS:,}.",
            code="description_too_long",
        )
    return description.strip()


def create_collection(
    *, workspace: Workspace, user: User, name: str, description: str = ""
) -> Collection:
    name = _clean_name(name)
    description = _check_description(description)
    if Collection.objects.filter(workspace=workspace, name=name).exists():
        raise Conflict(
            f"This workspace already has a collection named “{name}”.", code="name_taken"
        )
    try:
        with transaction.atomic():
            return Collection.objects.create(
                workspace=workspace, created_by=user, name=name, description=description
            )
    except IntegrityError as exc:  # a concurrent create with the same name
        raise Conflict(
            f"This workspace already has a collection named “{name}”.", code="name_taken"
        ) from exc


def update_collection(
    *, collection: Collection, name: str | None = None, description: str | None = None
) -> Collection:
    fields = ["updated_at"]
    if name is not None:
        name = _clean_name(name)
        taken = (
            Collection.objects.filter(workspace_id=collection.workspace_id, name=name)
            .exclude(pk=collection.pk)
            .exists()
        )
        if taken:
            raise Conflict(
                f"This workspace already has a collection named “{name}”.", code="name_taken"
            )
        collection.name = name
        fields.append("name")
    if description is not None:
        collection.description = _check_description(description)
        fields.append("description")
    collection.save(update_fields=fields)
    return collection


def _remove_files_on_commit(names: Iterable[str]) -> None:
    names = [name for name in names if name]

    def remove() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:
                # The rows are gone, which is what retrieval sees; a file left behind is only
                # disk space, and worth a log line rather than a failed delete.
                logger.warning("could not remove stored file %s", name, exc_info=True)

    transaction.on_commit(remove)


def delete_collection(*, collection: Collection) -> None:
    """Delete a collection, its documents and every chunk and vector of them, in one commit."""
    with transaction.atomic():
        names = list(Document.objects.filter(collection=collection).values_list("file", flat=True))
        _delete_document_rows(Document.objects.filter(collection=collection))
        collection.delete()
        _remove_files_on_commit(names)


def _delete_document_rows(documents: Any) -> None:
    # Vectors, then chunks, then documents: each a single set-based DELETE (Django would otherwise
    # load every chunk row to cascade from it).
    ChunkEmbedding.objects.filter(chunk__document__in=documents).delete()
    Chunk.objects.filter(document__in=documents).delete()
    documents.delete()


# --- uploads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    document: Document
    created: bool  # a new document (else a re-upload of the one with this name)
    unchanged: bool  # the same bytes as the version already there: nothing to do


def ensure_active_index(workspace: Workspace) -> EmbeddingIndex:
    """The workspace's active index; the first upload creates it with the default model."""
    existing = EmbeddingIndex.objects.filter(
        workspace=workspace, status=EmbeddingIndex.Status.ACTIVE
    ).first()
    if existing is not None:
        return existing
    model = settings.KNOWLEDGE_EMBEDDING_MODEL
    try:
        with transaction.atomic():
            index = EmbeddingIndex.objects.create(
                workspace=workspace,
                model=model,
                dimensions=embedding_dimensions(model),
                status=EmbeddingIndex.Status.ACTIVE,
                activated_at=timezone.now(),
            )
            _create_vector_index(index)
            return index
    except IntegrityError:  # created concurrently: use that one
        return EmbeddingIndex.objects.get(workspace=workspace, status=EmbeddingIndex.Status.ACTIVE)


def embedding_dimensions(model: str) -> int:
    try:
        return int(settings.KNOWLEDGE_EMBEDDING_MODELS[model]["dimensions"])
    except KeyError as exc:
        choices = ", ".join(sorted(settings.KNOWLEDGE_EMBEDDING_MODELS))
        raise InvalidInput(
            f"“{model}” is not an embedding model Keel knows; choose one of: {choices}.",
            code="unknown_embedding_model",
        ) from exc


def _vector_index_name(index: EmbeddingIndex) -> str:
    return f"knowledge_hnsw_{index.pk.hex}"


def _create_vector_index(index: EmbeddingIndex) -> None:
    """Postgres: an HNSW index over this index's vectors only (a partial index per model size)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # Deferred foreign-key checks of rows written earlier in this transaction would block
        # the DDL ("pending trigger events"): run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {_vector_index_name(index)} "
            "ON knowledge_chunkembedding USING hnsw "
            f"((embedding::vector({int(index.dimensions)})) vector_cosine_ops) "
            f"WHERE index_id = '{index.pk}'::uuid"
        )


def drop_vector_indexes(workspace_id: uuid.UUID) -> None:
    """Drop every HNSW index of a workspace's embedding indexes (before the workspace goes).

    A partial index is DDL, not a row: the workspace's cascade deletes the vectors but would leave
    the indexes behind. apps.KnowledgeConfig connects this to the workspace's pre_delete.
    """
    for index in EmbeddingIndex.objects.filter(workspace_id=workspace_id):
        _drop_vector_index(index)


def _drop_vector_index(index: EmbeddingIndex) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP INDEX IF EXISTS {_vector_index_name(index)}")


def check_upload(*, filename: str, size: int) -> str:
    """The checks before anything is stored; returns the display name."""
    name = parsing.safe_filename(filename)
    limit = int(settings.KNOWLEDGE_MAX_UPLOAD_BYTES)
    if size > limit:
        raise InvalidInput(
            f"“{name}” is {size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB.",
            code="too_large",
            status=413,
        )
    if size == 0:
        raise InvalidInput(f"“{name}” is empty.", code="empty")
    return name


def upload_document(
    *,
    collection: Collection,
    user: User,
    filename: str,
    data: bytes,
    idempotency_key: str | None = None,
) -> Upload:
    """Store a file and queue its ingestion; the same name again is a re-upload of it.

    Size and type are checked before anything is stored (the type by its first bytes, not its
    name). The stored file's name comes from ids and the content hash, never from the uploader.
    """
    name = check_upload(filename=filename, size=len(data))
    kind = parsing.detect_kind(name, data[:4096])
    sha256 = hashlib.sha256(data).hexdigest()
    workspace = collection.workspace
    ensure_active_index(workspace)
    stored = ""
    try:
        with transaction.atomic():
            existing = (
                # Lock the document row only: Postgres cannot lock the nullable side of the join.
                Document.objects.select_for_update(of=("self",))
                .select_related("job")
                .filter(collection=collection, name=name)
                .first()
            )
            if existing is not None and existing.sha256 == sha256 and existing.status != "failed":
                return Upload(existing, created=False, unchanged=True)
            if existing is None:
                document = Document(
                    id=uuid.uuid4(),
                    workspace=workspace,
                    collection=collection,
                    created_by=user,
                    name=name,
                    generation=1,
                )
                old_file = ""
            else:
                document = existing
                old_file = existing.file.name
                document.generation += 1
                if existing.job is not None and existing.job.status in (
                    Job.Status.QUEUED,
                    Job.Status.RUNNING,
                ):
                    # The old run sees its generation superseded and stops; cancelling frees its slot.
                    job_services.cancel_job(job=existing.job, user=user)
            document.kind = kind
            document.size_bytes = len(data)
            document.sha256 = sha256
            document.status = Document.Status.QUEUED
            document.error_code = document.error_message = ""
            document.embedded_count = 0
            document.file.save(name, ContentFile(data), save=False)
            stored = document.file.name
            job = job_services.submit_job(
                workspace=workspace,
                user=user,
                kind=prompts.INGEST_KIND,
                input={"document_id": str(document.id), "generation": document.generation},
                queue=prompts.QUEUE,
                idempotency_key=idempotency_key,
            )
            document.job = job
            document.save()
            if old_file and old_file != document.file.name:
                _remove_files_on_commit([old_file])
    except BaseException:
        # Nothing was committed: the file just stored is no one's.
        if stored:
            default_storage.delete(stored)
        raise
    return Upload(document, created=existing is None, unchanged=False)


def retry_document(*, document: Document, user: User) -> Document:
    """Run a failed (or cancelled) ingestion again, from the file already stored."""
    job = document.job
    if document.status == Document.Status.READY and (job is None or not job.can_retry):
        raise Conflict("This document is ready; there is nothing to retry.", code="not_failed")
    if job is None or not job.can_retry:
        raise Conflict(
            "This document is still being processed; it can be retried if it fails.",
            code="not_failed",
        )
    with transaction.atomic():
        Document.objects.filter(pk=document.pk).update(
            status=Document.Status.QUEUED, error_code="", error_message=""
        )
        job_services.retry_job(job=job, user=user)
    document.refresh_from_db()
    return document


def delete_document(*, document: Document, user: User) -> None:
    """From this commit on nothing of the document is retrievable; its file goes after it."""
    with transaction.atomic():
        job = document.job
        name = document.file.name
        _delete_document_rows(Document.objects.filter(pk=document.pk))
        _remove_files_on_commit([name])
    if job is not None and job.status in (Job.Status.QUEUED, Job.Status.RUNNING):
        job_services.cancel_job(job=job, user=user)


# --- the pipeline ---------------------------------------------------------------------------


def _current(document_id: str, generation: int) -> Document | None:
    """The document, if this generation is still the one to build (not deleted, not replaced)."""
    return (
        Document.objects.select_related("workspace", "collection", "created_by")
        .filter(pk=document_id, generation=generation)
        .first()
    )


def _stage(document: Document, status: str, **fields: Any) -> bool:
    updated = Document.objects.filter(pk=document.pk, generation=document.generation).update(
        status=status, updated_at=timezone.now(), **fields
    )
    document.status = status
    for name, value in fields.items():
        setattr(document, name, value)
    return bool(updated)


def ingest_document(*, ctx: JobContext, document_id: str, generation: int) -> dict[str, Any]:
    """The job's work. Returns counts; a document deleted or replaced meanwhile ends quietly."""
    document = _current(document_id, generation)
    if document is None:
        return {"skipped": "The document was deleted or replaced before it was processed."}
    try:
        return _ingest(ctx, document)
    except JobCancelled:
        _stage(document, Document.Status.FAILED, error_code="cancelled", error_message="Cancelled.")
        raise
    except ProviderError as exc:
        if exc.retry_after and ctx.job.attempts < ctx.job.max_attempts:
            raise  # a countdown retry: the document keeps its stage
        _fail(document, exc)
        raise
    except KeelError as exc:
        _fail(document, exc)
        raise
    except Exception:
        if _current(document_id, generation) is None:
            # Deleted mid-run (its chunks went with it): nothing is wrong, nothing to keep.
            return {"skipped": "The document was deleted or replaced while it was processed."}
        _stage(
            document,
            Document.Status.FAILED,
            error_code="internal_error",
            error_message="Something went wrong while processing this document; retry it.",
        )
        raise


def _fail(document: Document, exc: KeelError) -> None:
    _stage(document, Document.Status.FAILED, error_code=exc.code, error_message=exc.message)


def _ingest(ctx: JobContext, document: Document) -> dict[str, Any]:
    ctx.set_progress(2)
    _stage(document, Document.Status.PARSING)
    with tracing.span(tracing.STAGE, "parse", {"keel.document.name": document.name}) as step:
        with document.file.open("rb") as stored:
            data = stored.read()
        release_connection()
        parsed = parsing.parse(data, filename=document.name)
        step.update({"keel.document.bytes": len(data), "keel.document.pages": parsed.page_count})
    _check_not_cancelled(ctx)
    ctx.set_progress(15)
    _stage(
        document,
        Document.Status.CHUNKING,
        page_count=parsed.page_count,
        title=parsed.title[:300],
    )
    with tracing.span(tracing.STAGE, "chunk") as step:
        drafts = chunking.chunk(
            parsed,
            max_tokens=int(settings.KNOWLEDGE_CHUNK_TOKENS),
            overlap_tokens=int(settings.KNOWLEDGE_CHUNK_OVERLAP_TOKENS),
        )
        if not drafts:
            raise InvalidInput("No text was found in this document.", code="empty")
        _write_chunks(document, drafts)
        step.set("keel.document.chunks", len(drafts))
    ctx.set_progress(25)
    _stage(document, Document.Status.EMBEDDING, chunk_count=len(drafts))
    embedded = 0
    for _round in range(MAX_CATCH_UP_ROUNDS):
        with tracing.span(tracing.STAGE, "embed") as step:
            embedded_now = _embed_missing(ctx, document)
            step.set("keel.document.embedded", embedded_now)
        embedded += embedded_now
        _stage(document, Document.Status.INDEXING)
        with tracing.span(tracing.STAGE, "index"):
            live = _go_live(document)
        if live:
            return {
                "chunks": len(drafts),
                "pages": parsed.page_count,
                "embedded": embedded,
                "reused": len(drafts) - embedded if embedded <= len(drafts) else 0,
            }
        if _current(str(document.pk), document.generation) is None:
            return {"skipped": "The document was deleted or replaced while it was processed."}
    raise KeelError(
        "The document could not be indexed while the embedding model is being switched; retry it.",
        code="index_busy",
    )


def _check_not_cancelled(ctx: JobContext) -> None:
    if ctx.is_cancelled():
        raise JobCancelled


def _write_chunks(document: Document, drafts: list[chunking.ChunkDraft]) -> None:
    """This generation's chunk rows, not live yet; rows an earlier attempt wrote are kept."""
    have = set(
        Chunk.objects.filter(document=document, generation=document.generation).values_list(
            "ordinal", flat=True
        )
    )
    rows = [
        Chunk(
            workspace_id=document.workspace_id,
            collection_id=document.collection_id,
            document=document,
            generation=document.generation,
            live=False,
            ordinal=draft.ordinal,
            text=draft.text,
            heading=draft.heading[:500],
            page=draft.page,
            char_start=draft.char_start,
            char_end=draft.char_end,
            token_count=draft.token_count,
            content_hash=draft.content_hash,
        )
        for draft in drafts
        if draft.ordinal not in have
    ]
    Chunk.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


def _fillable_indexes(workspace_id: uuid.UUID) -> list[EmbeddingIndex]:
    return list(
        EmbeddingIndex.objects.filter(
            workspace_id=workspace_id,
            status__in=[EmbeddingIndex.Status.ACTIVE, EmbeddingIndex.Status.BUILDING],
        ).order_by("created_at")
    )


def _embed_missing(ctx: JobContext, document: Document) -> int:
    """Vectors for this generation's chunks in every index that lacks them. Returns texts sent."""
    sent = 0
    indexes = _fillable_indexes(document.workspace_id)
    total = max(1, document.chunk_count * len(indexes))
    for index in indexes:
        chunks = Chunk.objects.filter(document=document, generation=document.generation)
        sent += fill_index(
            ctx,
            index=index,
            chunks=chunks,
            user=document.created_by,
            feature=prompts.INGEST_FEATURE,
            on_progress=lambda done: ctx.set_progress(25 + int(70 * min(1.0, done / total))),
        )
        embedded = ChunkEmbedding.objects.filter(
            chunk__document=document, chunk__generation=document.generation, index=index
        ).count()
        Document.objects.filter(pk=document.pk, generation=document.generation).update(
            embedded_count=embedded
        )
    return sent


def embedding_input(heading: str, text: str) -> str:
    """What is embedded for a chunk (the same fields its content hash covers)."""
    return f"{heading}\n{text}" if heading else text


def fill_index(
    ctx: JobContext,
    *,
    index: EmbeddingIndex,
    chunks: Any,
    user: User | None,
    feature: str,
    on_progress: Any = None,
) -> int:
    """Give every chunk of `chunks` a vector in `index`: reuse by content hash, embed the rest.

    Batched, idempotent and cancellable between batches. Returns how many texts were embedded
    (0 when every hash already had a vector in this index: the unchanged re-upload).
    """
    missing = list(
        chunks.exclude(embeddings__index=index)
        .order_by("id")
        .values_list("id", "collection_id", "content_hash", "heading", "text")
    )
    if not missing:
        return 0
    by_hash: dict[str, list[tuple[int, uuid.UUID]]] = {}
    texts: dict[str, str] = {}
    for chunk_id, collection_id, content_hash, heading, text in missing:
        by_hash.setdefault(content_hash, []).append((chunk_id, collection_id))
        texts.setdefault(content_hash, embedding_input(heading, text))
    done = 0
    # Reuse: the same content already has a vector in this index (another version, another doc).
    hashes = list(by_hash)
    for start in range(0, len(hashes), 500):
        batch = hashes[start : start + 500]
        known = dict(
            ChunkEmbedding.objects.filter(index=index, content_hash__in=batch)
            .order_by()
            .values_list("content_hash", "embedding")
        )
        if known:
            done += _save_vectors(index, by_hash, known)
            for content_hash in known:
                by_hash.pop(content_hash, None)
    if on_progress is not None:
        on_progress(done)
    sent = 0
    pending = list(by_hash)
    size = max(1, int(settings.KNOWLEDGE_EMBED_BATCH))
    workspace = index.workspace
    for start in range(0, len(pending), size):
        _check_not_cancelled(ctx)
        batch = pending[start : start + size]
        release_connection()  # the connection goes back to the pool while the model works
        vectors = gateway.embed(
            workspace=workspace,
            user=user,
            feature=feature,
            texts=[texts[content_hash] for content_hash in batch],
            model=index.model,
            dimensions=index.dimensions,
            job=ctx,
        )
        for vector in vectors:
            if len(vector) != index.dimensions:
                raise KeelError(
                    f"The embedding model “{index.model}” returned vectors of {len(vector)} "
                    f"dimensions; this index expects {index.dimensions}. Check "
                    "KNOWLEDGE_EMBEDDING_MODELS.",
                    code="embedding_dimensions",
                )
        sent += len(batch)
        done += _save_vectors(index, by_hash, dict(zip(batch, vectors, strict=True)))
        if on_progress is not None:
            on_progress(done)
    return sent


def _save_vectors(
    index: EmbeddingIndex,
    by_hash: dict[str, list[tuple[int, uuid.UUID]]],
    vectors: dict[str, list[float]],
) -> int:
    rows = [
        ChunkEmbedding(
            chunk_id=chunk_id,
            index=index,
            collection_id=collection_id,
            content_hash=content_hash,
            embedding=vector,
        )
        for content_hash, vector in vectors.items()
        for chunk_id, collection_id in by_hash.get(content_hash, [])
    ]
    ChunkEmbedding.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return len(rows)


def _go_live(document: Document) -> bool:
    """Swap this generation in, in one transaction, if every fillable index has all its vectors.

    Locks the workspace's fillable index rows first: an activation (which locks the same rows)
    cannot slip between the check and the commit, so a document never goes live with vectors
    missing in the index that is about to answer.
    """
    with transaction.atomic():
        indexes = list(
            EmbeddingIndex.objects.select_for_update()
            .filter(
                workspace_id=document.workspace_id,
                status__in=[EmbeddingIndex.Status.ACTIVE, EmbeddingIndex.Status.BUILDING],
            )
            .order_by("created_at")
        )
        current = (
            Document.objects.select_for_update()
            .filter(pk=document.pk, generation=document.generation)
            .first()
        )
        if current is None:
            return False
        chunks = Chunk.objects.filter(document=document, generation=document.generation)
        for index in indexes:
            if chunks.exclude(embeddings__index=index).exists():
                return False
        ChunkEmbedding.objects.filter(chunk__document=document).exclude(
            chunk__generation=document.generation
        ).delete()
        Chunk.objects.filter(document=document).exclude(generation=document.generation).delete()
        chunks.update(live=True)
        count = chunks.count()
        Document.objects.filter(pk=document.pk).update(
            status=Document.Status.READY,
            chunk_count=count,
            embedded_count=count,
            error_code="",
            error_message="",
            updated_at=timezone.now(),
        )
    document.status = Document.Status.READY
    return True


# --- switching the embedding model ----------------------------------------------------------


def _require_manager(membership: Membership) -> None:
    if not membership.can_manage:
        raise NotAllowed("Only the workspace's owners and admins can change its embedding model.")


def switch_embedding_model(*, membership: Membership, model: str) -> EmbeddingIndex:
    """Start building an index with `model`; the current one answers until it is complete."""
    _require_manager(membership)
    workspace = membership.workspace
    dimensions = embedding_dimensions(model)
    active = ensure_active_index(workspace)
    if active.model == model:
        raise Conflict(f"This workspace already uses “{model}”.", code="same_model")
    with transaction.atomic():
        building = (
            EmbeddingIndex.objects.select_for_update()
            .filter(workspace=workspace, status=EmbeddingIndex.Status.BUILDING)
            .first()
        )
        if building is not None:
            raise Conflict(
                f"A switch to “{building.model}” is already in progress; cancel it first.",
                code="switch_in_progress",
            )
        index = EmbeddingIndex.objects.create(
            workspace=workspace,
            model=model,
            dimensions=dimensions,
            status=EmbeddingIndex.Status.BUILDING,
            created_by=membership.user,
        )
        _create_vector_index(index)
        index.job = job_services.submit_job(
            workspace=workspace,
            user=membership.user,
            kind=prompts.REINDEX_KIND,
            input={"index_id": str(index.pk)},
            queue=prompts.QUEUE,
        )
        index.save(update_fields=["job"])
    return index


def cancel_index_build(*, membership: Membership) -> None:
    """Abandon a model switch in progress: its vectors go, the active index never changed."""
    _require_manager(membership)
    with transaction.atomic():
        index = (
            EmbeddingIndex.objects.select_for_update(of=("self",))
            .select_related("job")
            .filter(workspace=membership.workspace, status=EmbeddingIndex.Status.BUILDING)
            .first()
        )
        if index is None:
            raise Conflict("No embedding model switch is in progress.", code="no_switch")
        job = index.job
        _discard_index(index)
    if job is not None and job.status in (Job.Status.QUEUED, Job.Status.RUNNING):
        job_services.cancel_job(job=job, user=membership.user)


def _discard_index(index: EmbeddingIndex) -> None:
    ChunkEmbedding.objects.filter(index=index).delete()
    _drop_vector_index(index)
    index.delete()


def build_index(*, ctx: JobContext, index_id: str) -> dict[str, Any]:
    """The `knowledge.reindex` job: fill the new index, then activate it atomically."""
    index = EmbeddingIndex.objects.select_related("workspace").filter(pk=index_id).first()
    if index is None or index.status != EmbeddingIndex.Status.BUILDING:
        return {"skipped": "The switch was cancelled or has finished."}
    sent = 0
    for _round in range(MAX_CATCH_UP_ROUNDS):
        # Live chunks and versions in flight alike: a document going live later needs its vectors
        # in this index too (and its own ingestion fills them if it gets there first).
        chunks = Chunk.objects.filter(workspace_id=index.workspace_id)
        total = max(1, chunks.count())
        sent += fill_index(
            ctx,
            index=index,
            chunks=chunks,
            user=index.created_by,
            feature=prompts.REINDEX_FEATURE,
            on_progress=lambda done, total=total: ctx.set_progress(
                int(95 * min(1.0, done / total))
            ),
        )
        if _activate(index):
            _retire_old_indexes(index)
            return {"model": index.model, "embedded": sent}
    raise KeelError(
        "Documents kept arriving faster than the new index could catch up; retry the switch.",
        code="index_busy",
    )


def _activate(index: EmbeddingIndex) -> bool:
    with transaction.atomic():
        locked = list(
            EmbeddingIndex.objects.select_for_update()
            .filter(
                workspace_id=index.workspace_id,
                status__in=[EmbeddingIndex.Status.ACTIVE, EmbeddingIndex.Status.BUILDING],
            )
            .order_by("created_at")
        )
        if not any(row.pk == index.pk and row.status == "building" for row in locked):
            return True  # cancelled meanwhile: nothing to activate
        live = Chunk.objects.filter(workspace_id=index.workspace_id, live=True)
        if live.exclude(embeddings__index=index).exists():
            return False
        EmbeddingIndex.objects.filter(
            workspace_id=index.workspace_id, status=EmbeddingIndex.Status.ACTIVE
        ).update(status=EmbeddingIndex.Status.RETIRED)
        EmbeddingIndex.objects.filter(pk=index.pk).update(
            status=EmbeddingIndex.Status.ACTIVE, activated_at=timezone.now()
        )
    return True


def _retire_old_indexes(index: EmbeddingIndex) -> None:
    """After the swap: the retired indexes' vectors and HNSW indexes go (no reader uses them)."""
    for old in EmbeddingIndex.objects.filter(
        workspace_id=index.workspace_id, status=EmbeddingIndex.Status.RETIRED
    ):
        ChunkEmbedding.objects.filter(index=old).delete()
        _drop_vector_index(old)


# --- search ---------------------------------------------------------------------------------


def search_collection(
    *, user: User | None, collection: Collection, query: str, k: int = prompts.DEFAULT_SEARCH_K
) -> retrieval.SearchResults:
    """Search one collection (the query is embedded and charged to its workspace)."""
    query = query.strip()
    if not query:
        raise InvalidInput("Type something to search for.", code="query_required")
    if len(query) > prompts.MAX_QUERY_CHARS:
        raise InvalidInput(
            f"The query is {len(query):,} characters long; the limit is "
            f"{prompts.MAX_QUERY_CHARS:,}.",
            code="query_too_long",
        )
    if not 1 <= k <= prompts.MAX_SEARCH_K:
        raise InvalidInput(
            f"Ask for between 1 and {prompts.MAX_SEARCH_K} passages (not {k}).", code="invalid_k"
        )
    return retrieval.search(
        workspace=collection.workspace,
        collection_ids=[collection.pk],
        query=query,
        k=k,
        user=user,
        feature=prompts.SEARCH_FEATURE,
    )
