"""Knowledge's core: uploads, the pipeline (resumable, idempotent), deletion, model switches."""

from __future__ import annotations

import pytest

from product.accounts.models import User, Workspace
from product.jobs import services as job_services
from product.jobs.models import Job
from product.knowledge import services
from product.knowledge.models import Chunk, ChunkEmbedding, Collection, Document
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
