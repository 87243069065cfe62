"""Search through the page and the API with the real retrieval (services.search_collection over
retrieval.py): an ingested document is found by its words, marked, linked to its passage page;
a deleted one is not; outsiders get 404.

These need retrieval.py (the "retrieval" branch); test_views.py and test_api.py test the page's and
the route's handling of the service's answer on their own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from product.accounts.models import User, Workspace
from product.jobs import services as job_services
from product.knowledge import services
from product.knowledge.models import Chunk, Collection, Document

pytestmark = pytest.mark.usefixtures("devmodel_llm")

HANDBOOK = (
    b"# Handbook\n\nKeel runs model calls on workers, off the request.\n\n"
    b"## Jobs\n\nThe reaper re-enqueues stale jobs every thirty seconds.\n"
)


@pytest.fixture
def handbook(alice: User, acme: Workspace) -> Collection:
    return services.create_collection(workspace=acme, user=alice, name="Handbook")


@pytest.fixture
def ingested(alice_client: Client, handbook: Collection) -> Document:
    alice_client.post(
        reverse("knowledge:collection-upload", args=[handbook.pk]),
        {"documents": [SimpleUploadedFile("handbook.md", HANDBOOK)]},
    )
    document = Document.objects.get()
    assert document.job_id is not None
    job_services.run_job(document.job_id)
    document.refresh_from_db()
    assert document.status == Document.Status.READY, document.error_message
    return document


def reaper_chunk(document: Document) -> Chunk:
    return next(c for c in Chunk.objects.filter(document=document) if "reaper" in c.text)


@pytest.mark.django_db
def test_the_page_finds_an_ingested_passage_and_marks_the_terms(
    alice_client: Client, handbook: Collection, ingested: Document
) -> None:
    response = alice_client.get(
        reverse("knowledge:collection-search", args=[handbook.pk]), {"q": "reaper stale"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The <mark>reaper</mark> re-enqueues <mark>stale</mark> jobs" in html
    chunk = reaper_chunk(ingested)
    assert reverse("knowledge:passage-detail", args=[chunk.pk]) in html
    assert "Vectors from keel-dev-embed." in html


@pytest.mark.django_db
def test_the_api_answers_fused_keyword_and_vector_legs(
    client: Client, alice_api: dict[str, Any], handbook: Collection, ingested: Document
) -> None:
    response = client.post(
        f"/api/v1/collections/{handbook.pk}/search",
        data=json.dumps({"query": "reaper stale jobs", "k": 3}),
        content_type="application/json",
        **alice_api,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    chunk = reaper_chunk(ingested)
    assert body["index_model"] == "keel-dev-embed"
    assert body["fused"][0]["chunk_id"] == chunk.pk
    assert chunk.pk in [p["chunk_id"] for p in body["keyword"]]
    assert chunk.pk in [p["chunk_id"] for p in body["vector"]]
    assert all(len(body[leg]) <= 3 for leg in ("fused", "keyword", "vector"))


@pytest.mark.django_db
def test_a_deleted_document_is_never_found(
    alice_client: Client, handbook: Collection, ingested: Document, alice: User
) -> None:
    services.delete_document(document=ingested, user=alice)
    html = alice_client.get(
        reverse("knowledge:collection-search", args=[handbook.pk]), {"q": "reaper"}
    ).content.decode()
    assert "<mark>reaper</mark>" not in html
    assert "Best matches (0)" in html


@pytest.mark.django_db
def test_outsiders_cannot_search_a_collection(
    charlie_client: Client, handbook: Collection, ingested: Document
) -> None:
    response = charlie_client.get(
        reverse("knowledge:collection-search", args=[handbook.pk]), {"q": "reaper"}
    )
    assert response.status_code == 404
