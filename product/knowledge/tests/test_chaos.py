"""Chaos for ingestion: a worker SIGKILLed mid-document; the next one resumes with no duplicate.

Runs a real `celery worker` on the knowledge queue (the jobs chaos module's machinery: the test
database, the session's dev model server, a Redis of the test's own), embeds one text per request
so the kill lands between batches, kills it with SIGKILL, starts another, and checks that the
document is ready with each chunk once, each vector once, and at most one batch embedded twice
(the one whose vectors were not saved when the worker died).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from celery import Celery
from django.db import connection

from product.accounts.models import User, Workspace
from product.jobs.tests.test_chaos import (  # noqa: F401 (fixtures, found by name)
    ChaosWorkers,
    _wait_until,
    own_broker,
    own_redis,
    pytestmark,
    workers,
)
from product.knowledge import services
from product.knowledge.models import Chunk, ChunkEmbedding, Document
from product.llm.models import LLMCall

PARAGRAPHS = 200


def _long_document() -> bytes:
    paragraphs = [
        f"## Section {n}\n\nParagraph {n} explains topic{n} with words alpha{n} beta{n} gamma{n} "
        f"delta{n} and a few more ordinary words to give it some length, number {n}."
        for n in range(PARAGRAPHS)
    ]
    return ("# Long handbook\n\n" + "\n\n".join(paragraphs) + "\n").encode()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_document_resumes_without_duplicates(
    workers: ChaosWorkers,  # noqa: F811 (the fixtures imported above)
    own_broker: Celery,  # noqa: F811
    alice: User,
    acme: Workspace,
    settings: Any,
) -> None:
    settings.LLM_USER_REQUESTS_PER_MINUTE = 0
    slow = {
        "KNOWLEDGE_EMBED_BATCH": "1",
        "KNOWLEDGE_CHUNK_TOKENS": "40",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),  # where this process stored the upload
    }
    first = workers.start("first", **slow)
    collection = services.create_collection(workspace=acme, user=alice, name="Chaos")
    upload = services.upload_document(
        collection=collection, user=alice, filename="long.md", data=_long_document()
    )
    document = upload.document
    connection.close()
    _wait_until(
        lambda: ChunkEmbedding.objects.filter(chunk__document=document).count() >= 10,
        timeout=60,
        what="the first vectors of the document",
    )
    workers.kill(first)
    vectors_at_kill = ChunkEmbedding.objects.filter(chunk__document=document).count()
    chunks = Chunk.objects.filter(document=document).count()
    assert vectors_at_kill < chunks, "the kill landed before the document was embedded"
    assert not Chunk.objects.filter(document=document, live=True).exists()

    killed_at = time.monotonic()
    workers.start("second", **slow)
    _wait_until(
        lambda: Document.objects.get(pk=document.pk).status == Document.Status.READY,
        timeout=90,
        what="the document to be ready after the restart",
    )
    print(f"\nworker killed mid-document: ready {time.monotonic() - killed_at:.1f} s later")
    document.refresh_from_db()
    assert document.job is not None
    document.job.refresh_from_db()
    assert document.job.attempts == 2
    live = Chunk.objects.filter(document=document, live=True)
    assert live.count() == document.chunk_count == chunks, "no chunk written twice"
    assert ChunkEmbedding.objects.filter(chunk__document=document).count() == chunks
    calls = LLMCall.objects.filter(
        feature="knowledge.ingest", status=LLMCall.Status.SUCCEEDED, job_id=document.job.pk
    ).count()
    # One text per call: every chunk once, plus at most the batch in flight at the kill.
    assert chunks <= calls <= chunks + 1
