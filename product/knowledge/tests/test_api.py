"""The knowledge API: collections, multipart uploads (idempotent, size-capped in words), the
ingestion's status, retry, delete, passages, search's shape, the embedding model; outsiders 404."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import encode_multipart

from product.accounts.models import User, Workspace
from product.apikeys.tests.factories import bearer, make_key
from product.jobs import services as job_services
from product.jobs.models import Job
from product.knowledge import parsing, services
from product.knowledge.models import Chunk, ChunkEmbedding, Collection, Document, EmbeddingIndex
from product.knowledge.tests.factories import add_document
from product.llm.models import WorkspaceBudget

pytestmark = pytest.mark.usefixtures("devmodel_llm")

HANDBOOK = (
    b"# Handbook\n\nKeel runs model calls on workers, off the request.\n\n"
    b"## Jobs\n\nThe reaper re-enqueues stale jobs every thirty seconds.\n"
)


def post(client: Client, path: str, body: Any, headers: dict[str, Any], **extra: Any) -> Any:
    return client.post(
        path, data=json.dumps(body), content_type="application/json", **headers, **extra
    )


def send_file(
    client: Client,
    collection_id: Any,
    name: str,
    data: bytes,
    headers: dict[str, Any],
    **extra: Any,
) -> Any:
    return client.post(
        f"/api/v1/collections/{collection_id}/documents",
        {"file": SimpleUploadedFile(name, data)},
        **headers,
        **extra,
    )


def stored_files() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.fixture
def handbook(alice: User, acme: Workspace) -> Collection:
    return services.create_collection(workspace=acme, user=alice, name="Handbook")


def ingest(client: Client, document_id: str, headers: dict[str, Any]) -> dict[str, Any]:
    job_id = Document.objects.get(pk=document_id).job_id
    assert job_id is not None
    job_services.run_job(job_id)  # what the knowledge worker does
    body: dict[str, Any] = client.get(f"/api/v1/documents/{document_id}", **headers).json()
    return body


# --- collections ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_creates_reads_lists_renames_and_deletes_collections(
    client: Client, alice_api: dict[str, Any]
) -> None:
    created = post(client, "/api/v1/collections", {"name": " Team  handbook "}, alice_api)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["document_count"], body["ready_count"]) == ("Team handbook", 0, 0)
    path = f"/api/v1/collections/{body['id']}"
    assert client.get(path, **alice_api).json()["name"] == "Team handbook"

    renamed = client.patch(
        path,
        data=json.dumps({"description": "How we work"}),
        content_type="application/json",
        **alice_api,
    )
    assert renamed.status_code == 200
    assert renamed.json()["description"] == "How we work"
    assert renamed.json()["name"] == "Team handbook", "a field left out is left alone"

    post(client, "/api/v1/collections", {"name": "Another"}, alice_api)
    page = client.get("/api/v1/collections?limit=1", **alice_api).json()
    assert [item["name"] for item in page["items"]] == ["Another"]
    assert page["next"]
    assert [i["name"] for i in client.get(page["next"], **alice_api).json()["items"]] == [
        "Team handbook"
    ]

    assert client.delete(path, **alice_api).status_code == 204
    assert client.get(path, **alice_api).status_code == 404


@pytest.mark.django_db
def test_it_refuses_a_taken_or_blank_name(
    client: Client, alice_api: dict[str, Any], handbook: Collection
) -> None:
    taken = post(client, "/api/v1/collections", {"name": "Handbook"}, alice_api)
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "name_taken"
    blank = post(client, "/api/v1/collections", {"name": "   "}, alice_api)
    assert blank.status_code == 422
    assert blank.json()["error"]["details"][0]["field"] == "body.payload.name"
    assert Collection.objects.count() == 1


# --- uploads ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_accepts_an_upload_with_202_and_ingests_it(
    client: Client, alice_api: dict[str, Any], handbook: Collection
) -> None:
    response = send_file(client, handbook.pk, "handbook.md", HANDBOOK, alice_api)
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["created"], body["unchanged"]) == ("queued", True, False)
    assert body["job"]["kind"] == "knowledge.ingest"
    assert body["size_bytes"] == len(HANDBOOK)

    done = ingest(client, body["id"], alice_api)
    assert done["status"] == "ready", done["error_message"]
    assert done["progress"] == 100
    assert done["chunk_count"] == done["embedded_count"] > 0
    listed = client.get(f"/api/v1/collections/{handbook.pk}/documents", **alice_api).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    assert listed["items"][0]["status"] == "ready"
    counts = client.get(f"/api/v1/collections/{handbook.pk}", **alice_api).json()
    assert (counts["document_count"], counts["ready_count"]) == (1, 1)


@pytest.mark.django_db
def test_a_reupload_keeps_the_id_and_says_when_nothing_changed(
    client: Client, alice_api: dict[str, Any], handbook: Collection
) -> None:
    first = send_file(client, handbook.pk, "handbook.md", HANDBOOK, alice_api).json()
    ingest(client, first["id"], alice_api)
    same = send_file(client, handbook.pk, "handbook.md", HANDBOOK, alice_api)
    assert same.status_code == 202
    assert (same.json()["id"], same.json()["unchanged"]) == (first["id"], True)
    assert same.json()["status"] == "ready"
    changed = send_file(client, handbook.pk, "handbook.md", HANDBOOK + b"\nMore.", alice_api)
    body = changed.json()
    assert (body["id"], body["unchanged"], body["created"]) == (first["id"], False, False)
    assert (body["generation"], body["status"]) == (2, "queued")
    assert Document.objects.count() == 1


@pytest.mark.django_db
def test_it_replays_an_upload_for_the_same_idempotency_key(
    client: Client, alice_api: dict[str, Any], handbook: Collection
) -> None:
    first = send_file(
        client, handbook.pk, "handbook.md", HANDBOOK, alice_api, HTTP_IDEMPOTENCY_KEY="up-1"
    )
    again = send_file(
        client, handbook.pk, "handbook.md", HANDBOOK, alice_api, HTTP_IDEMPOTENCY_KEY="up-1"
    )
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert Job.objects.count() == 1
    other = send_file(
        client, handbook.pk, "other.md", HANDBOOK, alice_api, HTTP_IDEMPOTENCY_KEY="up-1"
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Document.objects.count() == 1


@pytest.mark.django_db
def test_it_takes_a_file_over_the_apis_usual_body_cap(
    client: Client, alice_api: dict[str, Any], handbook: Collection
) -> None:
    big = b"The reaper re-enqueues stale jobs.\n\n" * 12_000  # 432 KB > API_MAX_BODY_BYTES
    assert len(big) > settings.API_MAX_BODY_BYTES
    response = send_file(client, handbook.pk, "big.md", big, alice_api)
    assert response.status_code == 202, response.content
    # Every other route keeps the usual cap, the search on the same collection included.
    refused = post(
        client,
        f"/api/v1/collections/{handbook.pk}/search",
        {"query": "x" * (settings.API_MAX_BODY_BYTES + 1)},
        alice_api,
    )
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "body_too_large"


@pytest.mark.django_db
def test_it_refuses_a_file_over_the_limit_naming_both_sizes(
    client: Client, alice_api: dict[str, Any], handbook: Collection, settings: Any
) -> None:
    settings.KNOWLEDGE_MAX_UPLOAD_BYTES = 1_048_576
    # Over the limit but within the request's framing allowance: the service's own check.
    near = send_file(client, handbook.pk, "near.md", b"y" * 1_100_000, alice_api)
    assert near.status_code == 413
    assert near.json()["error"] == {
        "code": "too_large",
        "message": "“near.md” is 1.0 MB; the limit is 1 MB.",
        "details": None,
    }
    # Far over: refused from Content-Length, before the body is read.
    far = send_file(client, handbook.pk, "far.md", b"z" * 3_000_000, alice_api)
    assert far.status_code == 413
    error = far.json()["error"]
    assert error["code"] == "body_too_large"
    assert error["message"].startswith("This upload is 2.9 MB; the limit is 1 MB per file.")
    assert not Document.objects.exists()
    assert stored_files() == []


@pytest.mark.django_db
def test_it_refuses_an_unsupported_or_empty_file_and_stores_nothing(
    client: Client, alice_api: dict[str, Any], handbook: Collection
) -> None:
    data = b"PK\x03\x04 a spreadsheet"
    unsupported = send_file(client, handbook.pk, "budget.xlsx", data, alice_api)
    assert unsupported.status_code == 422
    with pytest.raises(parsing.ParseError) as expected:
        parsing.detect_kind("budget.xlsx", data)
    assert unsupported.json()["error"]["message"] == expected.value.message
    assert unsupported.json()["error"]["code"] == "unsupported_type"
    empty = send_file(client, handbook.pk, "empty.md", b"", alice_api)
    assert empty.status_code == 422
    assert empty.json()["error"]["message"] == "“empty.md” is empty."
    assert not Document.objects.exists()
    assert not Job.objects.exists()
    assert stored_files() == []


@pytest.mark.django_db
def test_it_asks_for_a_multipart_file(
    client: Client, alice_api: dict[str, Any], handbook: Collection
) -> None:
    as_json = post(client, f"/api/v1/collections/{handbook.pk}/documents", {"x": 1}, alice_api)
    assert as_json.status_code == 415
    assert "multipart/form-data" in as_json.json()["error"]["message"]
    boundary = "BoUnDaRy"
    no_file = client.post(
        f"/api/v1/collections/{handbook.pk}/documents",
        data=encode_multipart(boundary, {"name": "x"}),
        content_type=f"multipart/form-data; boundary={boundary}",
        **alice_api,
    )
    assert no_file.status_code == 422
    assert no_file.json()["error"]["details"] == [{"field": "body.file", "message": "Required."}]


# --- status, retry, delete, passages --------------------------------------------------------


@pytest.mark.django_db
def test_it_reports_a_failure_and_retries_it(
    client: Client, alice_api: dict[str, Any], handbook: Collection, acme: Workspace
) -> None:
    body = send_file(client, handbook.pk, "handbook.md", HANDBOOK, alice_api).json()
    budget = WorkspaceBudget.objects.create(workspace=acme, monthly_budget_usd=0)
    failed = ingest(client, body["id"], alice_api)
    assert failed["status"] == "failed"
    assert "used its AI budget" in failed["error_message"]
    budget.monthly_budget_usd = 100
    budget.save()
    retried = client.post(f"/api/v1/documents/{body['id']}/retry", **alice_api)
    assert retried.status_code == 202
    assert (retried.json()["status"], retried.json()["job"]["status"]) == ("queued", "queued")
    assert ingest(client, body["id"], alice_api)["status"] == "ready"
    again = client.post(f"/api/v1/documents/{body['id']}/retry", **alice_api)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "not_failed"


@pytest.mark.django_db
def test_it_deletes_a_document_and_its_passages(
    client: Client, alice_api: dict[str, Any], handbook: Collection
) -> None:
    document = add_document(handbook)
    chunk = Chunk.objects.get(document=document)
    assert client.get(f"/api/v1/passages/{chunk.pk}", **alice_api).status_code == 200
    assert client.delete(f"/api/v1/documents/{document.pk}", **alice_api).status_code == 204
    assert client.get(f"/api/v1/documents/{document.pk}", **alice_api).status_code == 404
    assert client.get(f"/api/v1/passages/{chunk.pk}", **alice_api).status_code == 404
    assert not ChunkEmbedding.objects.exists()


@pytest.mark.django_db
def test_it_reads_a_passage_with_its_neighbours(
    client: Client, alice_api: dict[str, Any], handbook: Collection
) -> None:
    document = add_document(
        handbook, passages=["First.", ("Install › Linux", "Run the installer."), "Last."]
    )
    middle = Chunk.objects.get(document=document, ordinal=1)
    Chunk.objects.filter(pk=middle.pk).update(page=3)
    body = client.get(f"/api/v1/passages/{middle.pk}", **alice_api).json()
    assert body["text"] == "Run the installer."
    assert body["locator"] == "page 3 · Install › Linux"
    assert (body["before"], body["after"]) == ("First.", "Last.")
    assert body["document_name"] == document.name
    assert client.get("/api/v1/passages/0", **alice_api).status_code == 422
    huge = client.get(f"/api/v1/passages/{2**70}", **alice_api)
    assert huge.status_code == 422


# --- search (its shape; the search itself: test_search_pages.py) ------------------------------


@dataclass(frozen=True)
class FakePassage:
    chunk_id: int
    document_id: Any
    document_name: str
    collection_id: Any
    text: str
    heading: str
    page: int | None
    char_start: int
    char_end: int
    score: float
    keyword_rank: int | None = None
    vector_rank: int | None = None
    vector_similarity: float | None = None


@dataclass(frozen=True)
class FakeResults:
    query: str
    fused: list[FakePassage]
    keyword: list[FakePassage]
    vector: list[FakePassage]
    index_model: str | None


@pytest.mark.django_db
def test_the_search_answers_the_services_results_in_its_schema(
    client: Client,
    alice: User,
    acme: Workspace,
    handbook: Collection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hit = FakePassage(
        chunk_id=7,
        document_id=handbook.pk,
        document_name="handbook.md",
        collection_id=handbook.pk,
        text="Run the installer.",
        heading="Install",
        page=None,
        char_start=0,
        char_end=18,
        score=0.0328,
        keyword_rank=1,
        vector_rank=1,
        vector_similarity=0.9,
    )
    seen: list[dict[str, Any]] = []

    def search_collection(**kwargs: Any) -> FakeResults:
        seen.append(kwargs)
        return FakeResults(kwargs["query"], [hit], [hit], [hit], "keel-dev-embed")

    monkeypatch.setattr(services, "search_collection", search_collection, raising=False)
    read_only = bearer(make_key(user=alice, workspace=acme, scopes=("read",)))
    response = post(
        client,
        f"/api/v1/collections/{handbook.pk}/search",
        {"query": "installer", "k": 3},
        read_only,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["query"], body["index_model"]) == ("installer", "keel-dev-embed")
    assert body["fused"][0]["chunk_id"] == 7
    assert body["fused"][0]["score"] == 0.0328
    assert body["keyword"][0]["keyword_rank"] == 1
    assert body["vector"][0]["vector_similarity"] == 0.9
    assert seen == [{"user": alice, "collection": handbook, "query": "installer", "k": 3}]
    blank = post(client, f"/api/v1/collections/{handbook.pk}/search", {"query": " "}, read_only)
    assert blank.status_code == 422
    too_many = post(
        client, f"/api/v1/collections/{handbook.pk}/search", {"query": "x", "k": 51}, read_only
    )
    assert too_many.status_code == 422
    assert len(seen) == 1


# --- the embedding model ----------------------------------------------------------------------


# Committed data: Postgres refuses the new index's CREATE INDEX while this transaction still
# holds the factory's vector rows' deferred FK checks (a request never has any pending).
@pytest.mark.django_db(transaction=True)
def test_owners_switch_the_embedding_model_and_cancel_it(
    client: Client, alice_api: dict[str, Any], handbook: Collection, acme: Workspace
) -> None:
    state = client.get("/api/v1/embedding-index", **alice_api).json()
    assert (state["active"], state["building"]) == (None, None)
    assert state["default_model"] == "keel-dev-embed"
    assert {"model": "keel-dev-embed-large", "dimensions": 512} in state["models"]
    add_document(handbook)

    started = post(client, "/api/v1/embedding-index", {"model": "keel-dev-embed-large"}, alice_api)
    assert started.status_code == 202, started.content
    body = started.json()
    assert body["active"]["model"] == "keel-dev-embed"
    assert body["active"]["progress"] == 100
    assert (body["building"]["model"], body["building"]["status"]) == (
        "keel-dev-embed-large",
        "building",
    )
    assert (body["building"]["embedded"], body["building"]["total"]) == (0, 1)
    busy = post(client, "/api/v1/embedding-index", {"model": "text-embedding-3-small"}, alice_api)
    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "switch_in_progress"

    cancelled = client.post("/api/v1/embedding-index/cancel", **alice_api)
    assert cancelled.status_code == 200
    assert cancelled.json()["building"] is None
    assert EmbeddingIndex.objects.get(workspace=acme).model == "keel-dev-embed"
    nothing = client.post("/api/v1/embedding-index/cancel", **alice_api)
    assert nothing.status_code == 409


# Committed data: Postgres refuses the new index's CREATE INDEX while this transaction still
# holds the factory's vector rows' deferred FK checks (a request never has any pending).
@pytest.mark.django_db(transaction=True)
def test_a_build_runs_to_the_new_active_model(
    client: Client, alice_api: dict[str, Any], handbook: Collection, acme: Workspace
) -> None:
    add_document(handbook)
    started = post(client, "/api/v1/embedding-index", {"model": "keel-dev-embed-large"}, alice_api)
    job_services.run_job(started.json()["building"]["job"]["id"])
    state = client.get("/api/v1/embedding-index", **alice_api).json()
    assert state["building"] is None
    assert (state["active"]["model"], state["active"]["embedded"]) == ("keel-dev-embed-large", 1)


@pytest.mark.django_db
def test_members_may_not_switch_the_model(bob_client: Client, handbook: Collection) -> None:
    # Members cannot make API keys; bob calls from his browser session.
    client, bob_api = bob_client, dict[str, Any]()
    response = post(client, "/api/v1/embedding-index", {"model": "keel-dev-embed-large"}, bob_api)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Only the workspace's owners and admins can change its embedding model."
    )
    assert client.get("/api/v1/embedding-index", **bob_api).status_code == 200
    unknown = post(client, "/api/v1/embedding-index", {"model": "no-such-model"}, bob_api)
    assert unknown.status_code == 422
    assert not EmbeddingIndex.objects.filter(status="building").exists()


# --- who sees what --------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_hides_other_workspaces_objects(
    client: Client, alice_api: dict[str, Any], charlie_api: dict[str, Any], handbook: Collection
) -> None:
    document = add_document(handbook)
    chunk = Chunk.objects.get(document=document)
    for method, path, body in [
        ("get", f"/api/v1/collections/{handbook.pk}", None),
        ("patch", f"/api/v1/collections/{handbook.pk}", {"name": "Mine"}),
        ("delete", f"/api/v1/collections/{handbook.pk}", None),
        ("get", f"/api/v1/collections/{handbook.pk}/documents", None),
        ("post", f"/api/v1/collections/{handbook.pk}/search", {"query": "workers"}),
        ("get", f"/api/v1/documents/{document.pk}", None),
        ("post", f"/api/v1/documents/{document.pk}/retry", None),
        ("delete", f"/api/v1/documents/{document.pk}", None),
        ("get", f"/api/v1/passages/{chunk.pk}", None),
    ]:
        kwargs: dict[str, Any] = dict(charlie_api)
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == 404, (method, path, response.content)
    upload = send_file(client, handbook.pk, "x.md", HANDBOOK, charlie_api)
    assert upload.status_code == 404
    assert client.get("/api/v1/collections", **charlie_api).json()["items"] == []
    assert Document.objects.count() == 1
    assert Collection.objects.get().name == "Handbook"


@pytest.mark.django_db
def test_it_needs_the_write_scope_to_upload(
    client: Client, alice: User, acme: Workspace, handbook: Collection
) -> None:
    read_only = bearer(make_key(user=alice, workspace=acme, scopes=("read",)))
    assert send_file(client, handbook.pk, "x.md", HANDBOOK, read_only).status_code == 403
    assert (
        client.get(f"/api/v1/collections/{handbook.pk}/documents", **read_only).status_code == 200
    )
    assert not Document.objects.exists()
