"""Knowledge's core: uploads, the pipeline (resumable, idempotent), deletion, model switches."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from product.accounts.models import Membership, User, Workspace
from product.core.errors import InvalidInput, NotAllowed
from product.jobs import services as job_services
from product.jobs.models import Job
from product.knowledge import services
from product.knowledge.models import Chunk, ChunkEmbedding, Collection, Document, EmbeddingIndex
from product.llm.models import LLMCall

pytestmark = pytest.mark.usefixtures("devmodel_llm")

HANDBOOK = (
    b"# Handbook\n\nKeel runs model calls on workers.\n\n"
    b"## Jobs\n\nThe reaper re-enqueues stale jobs every thirty seconds.\n"
)


@pytest.fixture
def handbook(alice: User, acme: Workspace) -> Collection:
    return services.create_collection(workspace=acme, user=alice, name="Handbook")


def ingest(collection: Collection, user: User, name: str, data: bytes) -> Document:
    upload = services.upload_document(collection=collection, user=user, filename=name, data=data)
    if upload.document.job is not None:
        job_services.run_job(upload.document.job.pk)
    upload.document.refresh_from_db()
    return upload.document


def embedding_calls() -> int:
    return LLMCall.objects.filter(feature="knowledge.ingest").count()


@pytest.mark.django_db
def test_a_document_goes_through_the_pipeline_to_ready(alice: User, handbook: Collection) -> None:
    document = ingest(handbook, alice, "handbook.md", HANDBOOK)
    assert document.status == Document.Status.READY, document.error_message
    assert document.job is not None
    assert document.job.status == Job.Status.SUCCEEDED
    chunks = Chunk.objects.filter(document=document)
    assert chunks.count() == document.chunk_count > 0
    assert all(chunk.live for chunk in chunks)
    assert ChunkEmbedding.objects.filter(chunk__document=document).count() == chunks.count()
    call = LLMCall.objects.get(feature="knowledge.ingest")
    assert call.job_id == document.job.pk


@pytest.mark.django_db
def test_an_unchanged_reupload_makes_no_embedding_call(alice: User, handbook: Collection) -> None:
    ingest(handbook, alice, "handbook.md", HANDBOOK)
    calls = embedding_calls()
    again = services.upload_document(
        collection=handbook, user=alice, filename="handbook.md", data=HANDBOOK
    )
    assert again.unchanged
    # A changed file whose passages are all known: re-chunked, but every vector is reused.
    same_passages = ingest(handbook, alice, "copy.md", HANDBOOK)
    assert same_passages.status == Document.Status.READY
    assert embedding_calls() == calls


@pytest.mark.django_db
def test_delete_leaves_nothing_retrievable(alice: User, handbook: Collection) -> None:
    document = ingest(handbook, alice, "handbook.md", HANDBOOK)
    services.delete_document(document=document, user=alice)
    assert not Chunk.objects.exists()
    assert not ChunkEmbedding.objects.exists()


@pytest.mark.django_db
def test_a_changed_reupload_embeds_only_the_changed_chunks(
    alice: User, handbook: Collection
) -> None:
    first = ingest(handbook, alice, "handbook.md", HANDBOOK)
    before = set(Chunk.objects.filter(document=first).values_list("content_hash", flat=True))
    texts_before = sum(
        call.input_tokens or 0 for call in LLMCall.objects.filter(feature="knowledge.ingest")
    )
    changed = HANDBOOK + b"\n## Budgets\n\nEvery workspace has a monthly budget in dollars.\n"
    second = ingest(handbook, alice, "handbook.md", changed)
    assert second.pk == first.pk
    assert second.generation == first.generation + 1
    assert second.status == Document.Status.READY
    after = set(Chunk.objects.filter(document=second).values_list("content_hash", flat=True))
    assert before < after, "the old passages are kept, one is new"
    assert Chunk.objects.filter(document=second).count() == len(after)
    assert not Chunk.objects.filter(document=second, live=False).exists()
    new_calls = LLMCall.objects.filter(feature="knowledge.ingest").order_by("created_at")
    # The second run sent only what no index had yet: fewer tokens than the whole document.
    assert new_calls.count() == 2
    last = new_calls.last()
    assert last is not None
    assert 0 < (last.input_tokens or 0) < texts_before


@pytest.mark.django_db
def test_a_bad_file_fails_with_its_reason_and_touches_nothing_else(
    alice: User, handbook: Collection
) -> None:
    good = ingest(handbook, alice, "handbook.md", HANDBOOK)
    with pytest.raises(InvalidInput) as error:
        services.upload_document(
            collection=handbook, user=alice, filename="sheet.xlsx", data=b"PK\x03\x04 not a doc"
        )
    assert "not supported" in error.value.message or "supported" in error.value.message
    assert not Document.objects.filter(name="sheet.xlsx").exists()
    good.refresh_from_db()
    assert good.status == Document.Status.READY


@pytest.mark.django_db
def test_oversized_and_empty_uploads_are_refused_before_storing(
    alice: User, handbook: Collection, settings: Any
) -> None:
    settings.KNOWLEDGE_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(InvalidInput) as error:
        services.upload_document(
            collection=handbook, user=alice, filename="big.txt", data=b"x" * 2048
        )
    assert error.value.status == 413
    assert "limit" in error.value.message
    with pytest.raises(InvalidInput, match="empty"):
        services.upload_document(collection=handbook, user=alice, filename="e.txt", data=b"")
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_a_failed_document_can_be_retried(alice: User, handbook: Collection, settings: Any) -> None:
    settings.LLM_WORKSPACE_MONTHLY_BUDGET_USD = Decimal(0)
    document = ingest(handbook, alice, "handbook.md", HANDBOOK)
    assert document.status == Document.Status.FAILED
    assert document.error_message
    assert document.job is not None and document.job.status == Job.Status.FAILED
    settings.LLM_WORKSPACE_MONTHLY_BUDGET_USD = Decimal(25)
    services.retry_document(document=document, user=alice)
    job_services.run_job(document.job.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.READY


@pytest.mark.django_db
def test_deleting_a_collection_removes_its_files(
    alice: User, handbook: Collection, django_capture_on_commit_callbacks: Any
) -> None:
    document = ingest(handbook, alice, "handbook.md", HANDBOOK)
    path = Path(document.file.path)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_collection(collection=handbook)
    assert not path.exists()
    assert not Chunk.objects.exists()
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_switching_the_embedding_model_swaps_indexes_atomically(
    alice: User, acme: Workspace, handbook: Collection
) -> None:
    ingest(handbook, alice, "handbook.md", HANDBOOK)
    old = services.ensure_active_index(acme)
    membership = Membership.objects.get(user=alice, workspace=acme)
    new = services.switch_embedding_model(membership=membership, model="keel-dev-embed-large")
    assert new.status == EmbeddingIndex.Status.BUILDING
    # While it builds, the old index is the active one and keeps its vectors.
    assert services.ensure_active_index(acme).pk == old.pk
    # A document uploaded during the build gets vectors in both indexes.
    late = ingest(handbook, alice, "late.md", b"# Late\n\nA document uploaded mid-switch.\n")
    assert ChunkEmbedding.objects.filter(chunk__document=late, index=new).exists()
    assert new.job is not None
    job_services.run_job(new.job.pk)
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.status == EmbeddingIndex.Status.ACTIVE
    assert old.status == EmbeddingIndex.Status.RETIRED
    assert not ChunkEmbedding.objects.filter(index=old).exists()
    live = Chunk.objects.filter(workspace=acme, live=True)
    assert ChunkEmbedding.objects.filter(index=new).count() == live.count()
    dims = {len(v) for v in ChunkEmbedding.objects.values_list("embedding", flat=True)}
    assert dims == {512}


@pytest.mark.django_db
def test_only_managers_switch_models(bob: User, acme: Workspace) -> None:
    membership = Membership.objects.get(user=bob, workspace=acme)
    with pytest.raises(NotAllowed):
        services.switch_embedding_model(membership=membership, model="keel-dev-embed-large")


@pytest.mark.django_db
def test_a_deleted_document_mid_ingestion_ends_quietly(alice: User, handbook: Collection) -> None:
    upload = services.upload_document(
        collection=handbook, user=alice, filename="gone.md", data=HANDBOOK
    )
    job = upload.document.job
    assert job is not None
    services.delete_document(document=upload.document, user=alice)
    job_services.run_job(job.pk)  # cancelled before it started: nothing runs
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert not Chunk.objects.exists()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="HNSW indexes exist on Postgres only")
def test_deleting_a_workspace_drops_its_vector_indexes(alice: User, handbook: Collection) -> None:
    ingest(handbook, alice, "handbook.md", HANDBOOK)
    index = services.ensure_active_index(handbook.workspace)
    name = f"knowledge_hnsw_{index.pk.hex}"

    def exists() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [name])
            return cursor.fetchone() is not None

    assert exists()
    handbook.workspace.delete()
    assert not exists()


@pytest.mark.django_db
def test_a_document_whose_job_was_given_up_reads_failed_not_stuck(
    alice: User, handbook: Collection
) -> None:
    upload = services.upload_document(
        collection=handbook, user=alice, filename="handbook.md", data=HANDBOOK
    )
    document = upload.document
    assert document.job is not None
    # The worker died mid-embedding too often: the reaper fails the job, the row keeps its stage.
    Document.objects.filter(pk=document.pk).update(status=Document.Status.EMBEDDING)
    Job.objects.filter(pk=document.job.pk).update(
        status=Job.Status.FAILED, error_message="The worker stopped while running this job."
    )
    document = Document.objects.select_related("job").get(pk=document.pk)
    assert document.current_status == Document.Status.FAILED
    assert not document.in_progress
    assert document.failure_message == "The worker stopped while running this job."
    services.retry_document(document=document, user=alice)
    assert document.job is not None
    job_services.run_job(document.job.pk)
    document = Document.objects.select_related("job").get(pk=document.pk)
    assert document.current_status == Document.Status.READY
    assert document.progress == 100
