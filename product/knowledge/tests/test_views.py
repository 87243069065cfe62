"""The knowledge pages: collections, uploads (several at once, each refused by name), the live
document table, retry and delete, documents, passages, the embedding model card, and 404s."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from product.accounts.models import User, Workspace
from product.jobs import services as job_services
from product.jobs.models import Job
from product.knowledge import parsing, services
from product.knowledge.models import Chunk, ChunkEmbedding, Collection, Document, EmbeddingIndex
from product.knowledge.tests.factories import CollectionFactory, add_document
from product.llm.errors import QuotaExceeded
from product.llm.models import WorkspaceBudget

pytestmark = pytest.mark.usefixtures("devmodel_llm")

HANDBOOK = (
    b"# Handbook\n\nKeel runs model calls on workers, off the request.\n\n"
    b"## Jobs\n\nThe reaper re-enqueues stale jobs every thirty seconds.\n"
)


def h1_count(html: str) -> int:
    return len(re.findall(r"<h1[\s>]", html))


def refusal_of(name: str, data: bytes) -> str:
    """What the parser says of a file of an unsupported type (its words are the parser's)."""
    with pytest.raises(parsing.ParseError) as refused:
        parsing.detect_kind(name, data[:4096])
    return refused.value.message


def stored_files() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.fixture
def handbook(alice: User, acme: Workspace) -> Collection:
    return services.create_collection(
        workspace=acme, user=alice, name="Handbook", description="How we work"
    )


def upload(client: Client, collection: Collection, *files: tuple[str, bytes], **extra: Any) -> Any:
    return client.post(
        reverse("knowledge:collection-upload", args=[collection.pk]),
        {"documents": [SimpleUploadedFile(name, data) for name, data in files]},
        **extra,
    )


def run_ingestion(document: Document) -> Document:
    document.refresh_from_db()
    assert document.job is not None
    job_services.run_job(document.job.pk)  # what the knowledge worker does
    document.refresh_from_db()
    return document


def table(client: Client, collection: Collection) -> str:
    return client.get(reverse("knowledge:collection-detail", args=[collection.pk])).content.decode()


# --- collections ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_collections_with_their_counts(alice_client: Client, handbook: Collection) -> None:
    add_document(handbook, name="ready.md")
    Document.objects.create(
        workspace=handbook.workspace,
        collection=handbook,
        name="queued.md",
        kind="markdown",
        sha256="0" * 64,
        file="knowledge/x",
    )
    response = alice_client.get(reverse("knowledge:collection-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert h1_count(html) == 1
    row = re.search(r"<tr>\s*<td><a[^>]*>Handbook</a>.*?</tr>", html, re.S)
    assert row is not None
    cells = re.findall(r"<td>(\d+)</td>", row.group(0))
    assert cells == ["2", "1"], "two documents, one ready"


@pytest.mark.django_db
def test_it_creates_a_collection_and_opens_it(alice_client: Client, acme: Workspace) -> None:
    empty = alice_client.get(reverse("knowledge:collection-list")).content.decode()
    assert "No collections yet" in empty
    response = alice_client.post(
        reverse("knowledge:collection-list"), {"name": "  Support   notes ", "description": "FAQ"}
    )
    collection = Collection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("knowledge:collection-detail", args=[collection.pk])
    assert (collection.name, collection.workspace) == ("Support notes", acme)
    page = alice_client.get(response["Location"]).content.decode()
    assert h1_count(page) == 1
    assert "No documents yet" in page


@pytest.mark.django_db
def test_it_refuses_a_taken_name_and_keeps_the_form(
    alice_client: Client, handbook: Collection
) -> None:
    response = alice_client.post(
        reverse("knowledge:collection-list"), {"name": "Handbook", "description": "again"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "already has a collection named “Handbook”" in html
    assert "again" in html
    assert Collection.objects.count() == 1


@pytest.mark.django_db
def test_it_renames_and_describes_a_collection(alice_client: Client, handbook: Collection) -> None:
    response = alice_client.post(
        reverse("knowledge:collection-update", args=[handbook.pk]),
        {"name": "Playbook", "description": "New words"},
    )
    assert response.status_code == 302
    handbook.refresh_from_db()
    assert (handbook.name, handbook.description) == ("Playbook", "New words")


@pytest.mark.django_db
def test_a_rename_to_a_taken_name_says_why(
    alice_client: Client, handbook: Collection, alice: User, acme: Workspace
) -> None:
    CollectionFactory(workspace=acme, created_by=alice, name="Taken")
    response = alice_client.post(
        reverse("knowledge:collection-update", args=[handbook.pk]),
        {"name": "Taken", "description": ""},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "already has a collection named “Taken”" in html
    assert re.search(r"<h1>\s*Handbook\s*</h1>", html), "the saved name stays the heading"
    handbook.refresh_from_db()
    assert handbook.name == "Handbook"


@pytest.mark.django_db
def test_it_deletes_a_collection_after_confirming(
    alice_client: Client, handbook: Collection
) -> None:
    add_document(handbook)
    url = reverse("knowledge:collection-delete", args=[handbook.pk])
    confirm = alice_client.get(url).content.decode()
    assert h1_count(confirm) == 1
    assert "1 document" in confirm
    response = alice_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("knowledge:collection-list")
    assert not Collection.objects.exists()
    assert not Chunk.objects.exists()
    assert not ChunkEmbedding.objects.exists()


# --- uploads and the documents table ----------------------------------------------------------


@pytest.mark.django_db
def test_it_uploads_a_file_and_shows_it_ready_once_the_job_ran(
    alice_client: Client, handbook: Collection
) -> None:
    response = upload(alice_client, handbook, ("handbook.md", HANDBOOK))
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.status == Document.Status.QUEUED
    page = table(alice_client, handbook)
    assert "handbook.md" in page
    assert "Queued" in page
    assert "every 2s" in page, "the table polls while a document is in progress"

    document = run_ingestion(document)
    assert document.status == Document.Status.READY, document.error_message
    page = table(alice_client, handbook)
    row = re.search(r'<tr data-status="ready">.*?</tr>', page, re.S)
    assert row is not None
    assert "handbook.md" in row.group(0)
    assert f"<td>{document.chunk_count}</td>" in row.group(0)
    assert "every 2s" not in page, "polling stops once nothing is in progress"


@pytest.mark.django_db
def test_the_table_is_a_fragment_for_htmx_polls(alice_client: Client, handbook: Collection) -> None:
    upload(alice_client, handbook, ("handbook.md", HANDBOOK))
    fragment = alice_client.get(
        reverse("knowledge:collection-detail", args=[handbook.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert fragment.lstrip().startswith('<section id="document-table"')
    assert "<h1" not in fragment
    assert 'hx-trigger="knowledge:uploaded from:body, every 2s"' in fragment


@pytest.mark.django_db
def test_it_shows_the_stage_the_progress_and_the_embedded_count(
    alice_client: Client, handbook: Collection
) -> None:
    upload(alice_client, handbook, ("handbook.md", HANDBOOK))
    document = Document.objects.select_related("job").get()
    assert document.job is not None
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.EMBEDDING, chunk_count=40, embedded_count=12
    )
    Job.objects.filter(pk=document.job.pk).update(status=Job.Status.RUNNING, progress=55)
    page = table(alice_client, handbook)
    assert "Embedding" in page
    assert 'value="55"' in page
    assert "55%" in page
    assert "12 of 40 chunks embedded" in page


@pytest.mark.django_db
def test_it_uploads_several_files_at_once_and_reports_each_by_name(
    alice_client: Client, handbook: Collection
) -> None:
    response = upload(
        alice_client,
        handbook,
        ("good.md", HANDBOOK),
        ("sheet.xlsx", b"PK\x03\x04 not a document"),
        ("empty.txt", b""),
        ("notes.txt", b"Plain notes about the reaper."),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "knowledge:uploaded"
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="upload-panel"')
    found = re.findall(
        r'<li class="upload-(failed|stored)">\s*<strong>([^<]+)</strong>: ([^<]+?)\s*(?:<a|</li>)',
        fragment,
    )
    outcomes = {name: (kind, message) for kind, name, message in found}
    assert set(outcomes) == {"good.md", "sheet.xlsx", "empty.txt", "notes.txt"}
    assert outcomes["good.md"] == ("stored", "Queued for processing.")
    assert outcomes["notes.txt"] == ("stored", "Queued for processing.")
    sheet = escape(refusal_of("sheet.xlsx", b"PK\x03\x04 not a document"))
    assert outcomes["sheet.xlsx"] == ("failed", sheet)
    assert outcomes["empty.txt"] == ("failed", escape("“empty.txt” is empty."))
    assert sorted(Document.objects.values_list("name", flat=True)) == ["good.md", "notes.txt"]
    assert len(stored_files()) == 2, "nothing of the refused files is stored"


@pytest.mark.django_db
def test_it_refuses_an_unsupported_type_and_stores_nothing(
    alice_client: Client, handbook: Collection
) -> None:
    response = upload(alice_client, handbook, ("budget.xlsx", b"PK\x03\x04 spreadsheet"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "<strong>budget.xlsx</strong>" in html
    assert escape(refusal_of("budget.xlsx", b"PK\x03\x04 spreadsheet")) in html
    assert h1_count(html) == 1
    assert not Document.objects.exists()
    assert not Job.objects.exists()
    assert stored_files() == []


@pytest.mark.django_db
def test_it_refuses_an_oversized_file_with_both_sizes_and_stores_nothing(
    alice_client: Client, handbook: Collection, settings: Any
) -> None:
    settings.KNOWLEDGE_MAX_UPLOAD_BYTES = 1_048_576
    big = b"word " * 300_000  # 1,500,000 bytes
    response = upload(alice_client, handbook, ("big.md", big), ("small.md", HANDBOOK))
    assert response.status_code == 200, "the small file was stored; the page reports both"
    html = response.content.decode()
    assert "“big.md” is 1.4 MB; the limit is 1 MB." in html
    assert [d.name for d in Document.objects.all()] == ["small.md"]
    assert len(stored_files()) == 1


@pytest.mark.django_db
def test_it_refuses_an_upload_larger_than_any_it_takes_before_reading_it(
    alice_client: Client, handbook: Collection, settings: Any
) -> None:
    settings.KNOWLEDGE_MAX_UPLOAD_BYTES = 100_000  # a page takes 10 such files: ~1 MB
    response = upload(alice_client, handbook, ("huge.md", b"x" * 1_200_000))
    assert response.status_code == 413
    html = response.content.decode()
    assert "This upload is 1.1 MB; send at most 10 files of up to 0.1 MB each." in html
    assert not Document.objects.exists()
    fragment = upload(alice_client, handbook, ("huge.md", b"x" * 1_200_000), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200, "htmx swaps only 2xx: the panel says it instead"
    assert "This upload is 1.1 MB" in fragment.content.decode()


@pytest.mark.django_db
def test_the_upload_checks_the_csrf_token_after_the_size(alice: User, handbook: Collection) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    refused = upload(client, handbook, ("handbook.md", HANDBOOK))
    assert refused.status_code == 403
    assert not Document.objects.exists()
    page = client.get(reverse("knowledge:collection-detail", args=[handbook.pk])).content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None
    token = found.group(1)
    accepted = upload(client, handbook, ("handbook.md", HANDBOOK), HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 302
    assert Document.objects.count() == 1


@pytest.mark.django_db
def test_the_upload_form_works_without_js(alice_client: Client, handbook: Collection) -> None:
    page = table(alice_client, handbook)
    form = re.search(r"<form[^>]*data-dropzone[^>]*>", page, re.S)
    assert form is not None
    assert 'enctype="multipart/form-data"' in form.group(0)
    assert f'action="{reverse("knowledge:collection-upload", args=[handbook.pk])}"' in form.group(0)
    file_input = re.search(r'<input type="file"[^>]*>', page)
    assert file_input is not None
    assert "multiple" in file_input.group(0)
    assert 'name="documents"' in file_input.group(0)
    choose = upload(alice_client, handbook)
    assert choose.status_code == 422
    assert "Choose at least one file." in choose.content.decode()


@pytest.mark.django_db
def test_a_reupload_of_the_same_bytes_says_unchanged(
    alice_client: Client, handbook: Collection
) -> None:
    upload(alice_client, handbook, ("handbook.md", HANDBOOK))
    run_ingestion(Document.objects.get())
    response = upload(alice_client, handbook, ("handbook.md", HANDBOOK), HTTP_HX_REQUEST="true")
    assert "Unchanged" in response.content.decode()
    assert Document.objects.count() == 1
    changed = upload(
        alice_client, handbook, ("handbook.md", HANDBOOK + b"\nMore."), HTTP_HX_REQUEST="true"
    )
    assert "New version queued" in changed.content.decode()
    assert Document.objects.get().generation == 2


@pytest.mark.django_db
def test_a_failed_document_shows_its_reason_and_retries(
    alice_client: Client, handbook: Collection, acme: Workspace
) -> None:
    upload(alice_client, handbook, ("handbook.md", HANDBOOK))
    document = Document.objects.get()
    budget = WorkspaceBudget.objects.create(workspace=acme, monthly_budget_usd=0)
    document = run_ingestion(document)
    assert document.status == Document.Status.FAILED
    page = table(alice_client, handbook)
    assert "used its AI budget" in page, "the readable reason, from the document or its job"
    retry_url = reverse("knowledge:document-retry", args=[document.pk])
    assert retry_url in page

    budget.monthly_budget_usd = 100
    budget.save()
    fragment = alice_client.post(
        retry_url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="document-table"
    ).content.decode()
    assert fragment.lstrip().startswith('<section id="document-table"')
    assert "Queued" in fragment
    document = run_ingestion(document)
    assert document.status == Document.Status.READY
    assert "Ready" in table(alice_client, handbook)


@pytest.mark.django_db
def test_retrying_a_ready_document_says_there_is_nothing_to_retry(
    alice_client: Client, handbook: Collection
) -> None:
    document = add_document(handbook)
    response = alice_client.post(
        reverse("knowledge:document-retry", args=[document.pk]), follow=True
    )
    assert "nothing to retry" in response.content.decode()


@pytest.mark.django_db
def test_it_deletes_a_document_and_nothing_of_it_remains(
    alice_client: Client, handbook: Collection
) -> None:
    upload(alice_client, handbook, ("handbook.md", HANDBOOK))
    document = run_ingestion(Document.objects.get())
    url = reverse("knowledge:document-delete", args=[document.pk])
    assert h1_count(alice_client.get(url).content.decode()) == 1
    response = alice_client.post(url, follow=True)
    assert response.redirect_chain == [
        (reverse("knowledge:collection-detail", args=[handbook.pk]), 302)
    ]
    assert "“handbook.md” was deleted" in response.content.decode()
    assert not Document.objects.exists()
    assert not Chunk.objects.exists()
    assert not ChunkEmbedding.objects.exists()
    fragment = alice_client.get(
        reverse("knowledge:collection-detail", args=[handbook.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "handbook.md" not in fragment
    assert "No documents yet" in fragment


# --- documents and passages ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_document_page_shows_its_status_metadata_and_passages(
    alice_client: Client, handbook: Collection
) -> None:
    document = add_document(
        handbook,
        name="guide.md",
        passages=[("Install › Linux", "Run the installer."), "Then sign in."],
    )
    Chunk.objects.filter(document=document, ordinal=0).update(page=3)
    page = alice_client.get(
        reverse("knowledge:document-detail", args=[document.pk])
    ).content.decode()
    assert h1_count(page) == 1
    assert "Ready" in page
    assert "page 3 · Install › Linux" in page
    assert "every 2s" not in page
    for chunk in Chunk.objects.filter(document=document):
        assert reverse("knowledge:passage-detail", args=[chunk.pk]) in page


@pytest.mark.django_db
def test_the_document_page_polls_its_status_while_in_progress(
    alice_client: Client, handbook: Collection
) -> None:
    upload(alice_client, handbook, ("handbook.md", HANDBOOK))
    document = Document.objects.get()
    url = reverse("knowledge:document-detail", args=[document.pk])
    assert 'hx-trigger="every 2s"' in alice_client.get(url).content.decode()
    fragment = alice_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="document-status"')
    run_ingestion(document)
    assert 'hx-trigger="every 2s"' not in alice_client.get(url).content.decode()


@pytest.mark.django_db
def test_the_passage_page_marks_the_passage_among_its_neighbours(
    alice_client: Client, handbook: Collection
) -> None:
    document = add_document(
        handbook,
        name="guide.md",
        passages=["Before the install.", ("Install", "Run the installer twice."), "After it."],
    )
    middle = Chunk.objects.get(document=document, ordinal=1)
    response = alice_client.get(
        reverse("knowledge:passage-detail", args=[middle.pk]), {"q": "installer"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert h1_count(html) == 1
    focus = re.search(r'<mark class="passage-focus"[^>]*>(.*?)</mark>\s*<p', html, re.S)
    assert focus is not None
    assert "Run the <mark>installer</mark> twice." in focus.group(1)
    assert "Before the install." in html
    assert "After it." in html
    assert reverse("knowledge:document-detail", args=[document.pk]) in html


@pytest.mark.django_db
def test_the_passage_page_escapes_hostile_text(alice_client: Client, handbook: Collection) -> None:
    document = add_document(
        handbook, passages=['<script>alert(1)</script> <img src=x onerror="alert(2)"> install']
    )
    chunk = Chunk.objects.get(document=document)
    html = alice_client.get(
        reverse("knowledge:passage-detail", args=[chunk.pk]), {"q": "script img install"}
    ).content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;" in html
    assert "<mark>install</mark>" in html


@pytest.mark.django_db
def test_a_passage_of_a_deleted_or_replaced_version_is_gone(
    alice_client: Client, handbook: Collection
) -> None:
    document = add_document(handbook)
    chunk = Chunk.objects.get(document=document)
    Chunk.objects.filter(pk=chunk.pk).update(live=False)
    assert alice_client.get(reverse("knowledge:passage-detail", args=[chunk.pk])).status_code == 404
    assert alice_client.get("/knowledge/passages/99999999999999999999999/").status_code == 404


# --- the embedding model ----------------------------------------------------------------------


# Committed data: Postgres refuses the new index's CREATE INDEX while this transaction still
# holds the factory's vector rows' deferred FK checks (a request never has any pending).
@pytest.mark.django_db(transaction=True)
def test_owners_switch_the_model_and_watch_the_build(
    alice_client: Client, handbook: Collection, acme: Workspace
) -> None:
    add_document(handbook)
    page = alice_client.get(reverse("knowledge:collection-list")).content.decode()
    assert "keel-dev-embed" in page
    assert reverse("knowledge:embedding-index-switch") in page
    response = alice_client.post(
        reverse("knowledge:embedding-index-switch"), {"model": "keel-dev-embed-large"}
    )
    assert response.status_code == 302
    building = EmbeddingIndex.objects.get(workspace=acme, status=EmbeddingIndex.Status.BUILDING)
    card = alice_client.get(
        reverse("knowledge:collection-list"), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert card.lstrip().startswith('<section id="embedding-index"')
    assert "Switching to <strong>keel-dev-embed-large</strong>" in card
    assert 'hx-trigger="every 2s"' in card
    assert "0 of 1 passages embedded" in card
    assert reverse("knowledge:embedding-index-cancel") in card

    assert building.job is not None
    job_services.run_job(building.job.pk)
    card = alice_client.get(
        reverse("knowledge:collection-list"), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'hx-trigger="every 2s"' not in card, "polling stops when the build is done"
    assert re.search(r'data-testid="active-model">keel-dev-embed-large<', card)


# Committed data: Postgres refuses the new index's CREATE INDEX while this transaction still
# holds the factory's vector rows' deferred FK checks (a request never has any pending).
@pytest.mark.django_db(transaction=True)
def test_owners_cancel_a_switch(
    alice_client: Client, handbook: Collection, acme: Workspace
) -> None:
    add_document(handbook)
    alice_client.post(
        reverse("knowledge:embedding-index-switch"), {"model": "keel-dev-embed-large"}
    )
    response = alice_client.post(
        reverse("knowledge:embedding-index-cancel"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "nothing changed for searches" in response.content.decode()
    assert not EmbeddingIndex.objects.filter(status=EmbeddingIndex.Status.BUILDING).exists()
    assert EmbeddingIndex.objects.get(workspace=acme).model == "keel-dev-embed"


@pytest.mark.django_db
def test_switching_to_the_current_model_says_so(alice_client: Client, handbook: Collection) -> None:
    add_document(handbook)
    response = alice_client.post(
        reverse("knowledge:embedding-index-switch"), {"model": "keel-dev-embed"}, follow=True
    )
    assert "already uses “keel-dev-embed”" in response.content.decode()


@pytest.mark.django_db
def test_members_see_the_model_but_cannot_switch_it(
    bob_client: Client, handbook: Collection
) -> None:
    add_document(handbook)
    page = bob_client.get(reverse("knowledge:collection-list")).content.decode()
    assert "keel-dev-embed" in page
    assert reverse("knowledge:embedding-index-switch") not in page
    assert "Owners and admins" in page
    response = bob_client.post(
        reverse("knowledge:embedding-index-switch"), {"model": "keel-dev-embed-large"}, follow=True
    )
    assert escape("Only the workspace's owners and admins") in response.content.decode()
    assert not EmbeddingIndex.objects.filter(status=EmbeddingIndex.Status.BUILDING).exists()


# --- who sees what --------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_answers_404_to_outsiders_on_every_object_page(
    alice_client: Client, charlie_client: Client, handbook: Collection
) -> None:
    document = add_document(handbook, name="private.md", passages=["Private words."])
    chunk = Chunk.objects.get(document=document)
    for name, method, pk in [
        ("knowledge:collection-detail", "get", handbook.pk),
        ("knowledge:collection-update", "post", handbook.pk),
        ("knowledge:collection-delete", "get", handbook.pk),
        ("knowledge:collection-delete", "post", handbook.pk),
        ("knowledge:collection-upload", "post", handbook.pk),
        ("knowledge:collection-search", "get", handbook.pk),
        ("knowledge:document-detail", "get", document.pk),
        ("knowledge:document-retry", "post", document.pk),
        ("knowledge:document-delete", "get", document.pk),
        ("knowledge:document-delete", "post", document.pk),
        ("knowledge:passage-detail", "get", chunk.pk),
    ]:
        response = getattr(charlie_client, method)(reverse(name, args=[pk]))
        assert response.status_code == 404, (name, method)
        assert alice_client.get(reverse(name, args=[pk])).status_code in (200, 405), name
    assert Document.objects.filter(pk=document.pk).exists()
    assert Collection.objects.filter(pk=handbook.pk).exists()
    assert (
        "Handbook" not in charlie_client.get(reverse("knowledge:collection-list")).content.decode()
    )


@pytest.mark.django_db
def test_teammates_share_the_collections(bob_client: Client, handbook: Collection) -> None:
    document = add_document(handbook)
    assert (
        bob_client.get(reverse("knowledge:collection-detail", args=[handbook.pk])).status_code
        == 200
    )
    assert (
        bob_client.get(reverse("knowledge:document-detail", args=[document.pk])).status_code == 200
    )


@pytest.mark.django_db
def test_it_needs_a_signed_in_user(client: Client, handbook: Collection) -> None:
    assert client.get(reverse("knowledge:collection-list")).status_code == 302
    assert upload(client, handbook, ("handbook.md", HANDBOOK)).status_code == 302
    assert not Document.objects.exists()


# --- the search page, over the search service's interface -------------------------------------
# The search itself (retrieval.py) is tested with the real index in test_search_pages.py; here
# the page's rendering of what the service answers: legs, scores, links, marked and escaped text.


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


@pytest.fixture
def answered(handbook: Collection, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The search service answers with these passages of a real document; calls are recorded."""
    document = add_document(handbook, passages=[("Install › Linux", "<b>Run</b> the installer.")])
    chunk = Chunk.objects.get(document=document)
    hit = FakePassage(
        chunk_id=chunk.pk,
        document_id=document.pk,
        document_name=document.name,
        collection_id=handbook.pk,
        text=chunk.text,
        heading=chunk.heading,
        page=4,
        char_start=0,
        char_end=len(chunk.text),
        score=0.0325,
        keyword_rank=1,
        vector_rank=2,
        vector_similarity=0.812,
    )
    calls: list[dict[str, Any]] = []

    def search_collection(**kwargs: Any) -> FakeResults:
        calls.append(kwargs)
        return FakeResults(
            query=kwargs["query"],
            fused=[hit],
            keyword=[hit],
            vector=[],
            index_model="keel-dev-embed",
        )

    monkeypatch.setattr(services, "search_collection", search_collection, raising=False)
    return calls


@pytest.mark.django_db
def test_the_search_page_shows_each_leg_with_scores_and_marked_terms(
    alice_client: Client, handbook: Collection, answered: list[dict[str, Any]]
) -> None:
    url = reverse("knowledge:collection-search", args=[handbook.pk])
    response = alice_client.get(url, {"q": "installer linux", "k": "5"})
    assert response.status_code == 200
    html = response.content.decode()
    assert h1_count(html) == 1
    assert answered[0]["query"] == "installer linux"
    assert answered[0]["k"] == 5
    assert answered[0]["collection"] == handbook
    assert "Best matches (1)" in html
    assert "Keyword matches (1)" in html
    assert "Vector matches (0)" in html
    assert "score 0.0325" in html
    assert "keyword #1 · vector #2" in html
    assert "similarity 0.812" in html
    assert "page 4 · Install › Linux" in html
    assert "&lt;b&gt;Run&lt;/b&gt; the <mark>installer</mark>." in html
    assert "<b>Run</b>" not in html
    chunk = Chunk.objects.get()
    assert f"{reverse('knowledge:passage-detail', args=[chunk.pk])}?q=installer%20linux" in html


@pytest.mark.django_db
def test_the_search_results_are_a_fragment_for_htmx(
    alice_client: Client, handbook: Collection, answered: list[dict[str, Any]]
) -> None:
    fragment = alice_client.get(
        reverse("knowledge:collection-search", args=[handbook.pk]),
        {"q": "installer"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert fragment.lstrip().startswith('<section id="search-results"')
    assert "<mark>installer</mark>" in fragment


@pytest.mark.django_db
def test_the_search_page_without_a_query_searches_nothing(
    alice_client: Client, handbook: Collection, answered: list[dict[str, Any]]
) -> None:
    url = reverse("knowledge:collection-search", args=[handbook.pk])
    assert alice_client.get(url).status_code == 200
    blank = alice_client.get(url, {"q": "   "})
    assert "This field is required." in blank.content.decode()
    nul = alice_client.get(url, {"q": "install\x00"})
    assert nul.status_code == 200
    assert "Null characters are not allowed." in nul.content.decode()
    assert answered == []


@pytest.mark.django_db
def test_the_search_page_says_why_a_search_was_refused(
    alice_client: Client, handbook: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def over_budget(**kwargs: Any) -> None:
        raise QuotaExceeded("This workspace has used its AI budget for the month.")

    monkeypatch.setattr(services, "search_collection", over_budget, raising=False)
    html = alice_client.get(
        reverse("knowledge:collection-search", args=[handbook.pk]), {"q": "installer"}
    ).content.decode()
    assert "used its AI budget for the month" in html
