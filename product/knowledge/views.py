"""The knowledge pages: collections, uploads with live progress, documents, passages, search, and
the workspace's embedding model.

Thin adapters over services and selectors, like the reference app (product/ask/views.py). Each
page that changes by itself polls its own fragment while something is in progress, and the
fragment drops its trigger once nothing is, so polling stops by itself:
- the collection list's `#embedding-index` card while a model switch builds;
- a collection's `#document-table` while any document is being processed (an upload also
  refreshes it at once, through the `knowledge:uploaded` event);
- a document's `#document-status` while it is being processed.

Document text is untrusted: templates print it escaped, and the only markup added to it is the
`<mark>` of product/knowledge/highlight.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from product.accounts.http import AuthenticatedHttpRequest
from product.accounts.models import Membership
from product.accounts.selectors import get_current_membership
from product.core.errors import KeelError, add_form_error, show_error
from product.core.http import is_fragment_request
from product.core.uploads import MULTIPART_FRAMING_BYTES, content_length, megabytes, megabytes_limit
from product.knowledge import parsing, prompts, selectors, services
from product.knowledge.forms import CollectionForm, EmbeddingModelForm, SearchForm, UploadForm
from product.knowledge.models import Collection, Document
from product.knowledge.selectors import (
    get_collection_for_user,
    get_document_for_user,
    get_passage_for_user,
)

COLLECTION_TEMPLATE = "knowledge/collection_detail.html"
LIST_TEMPLATE = "knowledge/collection_list.html"
DOCUMENT_TEMPLATE = "knowledge/document_detail.html"
# A collection's table shows this many documents, newest first (the API pages through all).
TABLE_DOCUMENTS = 200
# A document's page lists its first passages; the passage pages and search reach the rest.
LISTED_PASSAGES = 50
# Neighbours shown on each side of a cited passage.
PASSAGE_NEIGHBOURS = 1


def _membership(request: AuthenticatedHttpRequest) -> Membership:
    membership = get_current_membership(request)
    if membership is None:
        raise Http404("You are not a member of any workspace.")
    return membership


# --- the collection list and the embedding model ---------------------------------------------


def _index_context(membership: Membership) -> dict[str, Any]:
    workspace = membership.workspace
    active = selectors.active_index(workspace)
    building = selectors.building_index(workspace)
    embedded, total = selectors.index_progress(building) if building is not None else (0, 0)
    current = active.model if active is not None else settings.KNOWLEDGE_EMBEDDING_MODEL
    return {
        "active_index": active,
        "building_index": building,
        "build_embedded": embedded,
        "build_total": total,
        "current_model": current,
        "can_manage": membership.can_manage,
        "model_form": EmbeddingModelForm(initial={"model": current}),
    }


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def collection_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    form = CollectionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                collection = services.create_collection(
                    workspace=workspace,
                    user=request.user,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                )
            except KeelError as exc:
                add_form_error(form, "name" if exc.code.startswith("name_") else None, exc)
            else:
                return redirect("knowledge:collection-detail", pk=collection.pk)
        # htmx swaps only 2xx answers: a boosted form gets 200 with its errors, others 422.
        status = 200 if request.htmx else 422
    template = LIST_TEMPLATE
    if request.method == "GET" and is_fragment_request(request):
        template += "#embedding-index"  # the card polls itself while a new index builds
    context = {
        "form": form,
        "collections": list(selectors.collections_for_workspace(workspace)),
        "workspace": workspace,
        **_index_context(membership),
    }
    return render(request, template, context, status=status)


def _index_answer(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    if is_fragment_request(request):
        context = {"workspace": membership.workspace, **_index_context(membership)}
        return render(request, LIST_TEMPLATE + "#embedding-index", context)
    return redirect("knowledge:collection-list")


@require_POST
@login_required
def embedding_index_switch(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = EmbeddingModelForm(request.POST)
    if not form.is_valid():
        show_error(request, KeelError(" ".join(str(e) for e in form.errors.get("model", []))))
        return _index_answer(request, membership)
    try:
        index = services.switch_embedding_model(
            membership=membership, model=form.cleaned_data["model"]
        )
    except KeelError as exc:
        show_error(request, exc)
    else:
        flash.success(
            request,
            f"Building the index with {index.model}; searches use the current one until it is "
            "complete.",
        )
    return _index_answer(request, membership)


@require_POST
@login_required
def embedding_index_cancel(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = _membership(request)
    try:
        services.cancel_index_build(membership=membership)
    except KeelError as exc:
        show_error(request, exc)
    else:
        flash.success(request, "The switch was cancelled; nothing changed for searches.")
    return _index_answer(request, membership)


# --- one collection: its documents, uploads, edits and search ---------------------------------


@dataclass(frozen=True)
class UploadOutcome:
    """What became of one file of an upload, said by its name."""

    name: str
    message: str
    document: Document | None = None

    @property
    def failed(self) -> bool:
        return self.document is None


def _detail_context(collection: Collection, **extra: Any) -> dict[str, Any]:
    documents = list(selectors.documents_in_collection(collection)[:TABLE_DOCUMENTS])
    context: dict[str, Any] = {
        "collection": collection,
        "documents": documents,
        "any_in_progress": any(document.in_progress for document in documents),
        "edit_form": CollectionForm(
            initial={"name": collection.name, "description": collection.description}
        ),
        "upload_form": UploadForm(),
        "search_form": SearchForm(),
        "results": None,
        "outcomes": [],
        "upload_error": "",
        "max_upload_bytes": settings.KNOWLEDGE_MAX_UPLOAD_BYTES,
    }
    context.update(extra)
    return context


@require_GET
@login_required
@vary_on_headers("HX-Request")
def collection_detail(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    collection = get_collection_for_user(request.user, pk)
    template = COLLECTION_TEMPLATE
    if is_fragment_request(request):
        template += "#document-table"
    return render(request, template, _detail_context(collection))


@require_POST
@login_required
def collection_update(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    collection = get_collection_for_user(request.user, pk)
    form = CollectionForm(request.POST)
    if form.is_valid():
        try:
            services.update_collection(
                collection=collection,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except KeelError as exc:
            add_form_error(form, "name" if exc.code.startswith("name_") else None, exc)
        else:
            flash.success(request, "Collection saved.")
            return redirect("knowledge:collection-detail", pk=collection.pk)
    # The name on the page stays the saved one; the form keeps what was typed, with its errors.
    collection.refresh_from_db()
    context = _detail_context(collection, edit_form=form, edit_open=True)
    return render(request, COLLECTION_TEMPLATE, context, status=200 if request.htmx else 422)


@require_http_methods(["GET", "POST"])
@login_required
def collection_delete(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    collection = get_collection_for_user(request.user, pk)
    if request.method == "POST":
        services.delete_collection(collection=collection)
        flash.success(request, f"“{collection.name}” and its documents were deleted.")
        return redirect("knowledge:collection-list")
    return render(
        request,
        "knowledge/collection_confirm_delete.html",
        {"collection": collection, "document_count": collection.documents.count()},
    )


def page_upload_cap() -> int:
    """The largest upload request a page takes: every file at the limit, and the framing."""
    return (
        prompts.MAX_FILES_PER_UPLOAD * int(settings.KNOWLEDGE_MAX_UPLOAD_BYTES)
        + MULTIPART_FRAMING_BYTES
    )


def _upload_answer(
    request: AuthenticatedHttpRequest,
    collection: Collection,
    *,
    outcomes: list[UploadOutcome],
    error: str = "",
    form: UploadForm | None = None,
    refused_status: int = 422,
) -> HttpResponse:
    stored = [outcome for outcome in outcomes if not outcome.failed]
    failed = (
        bool(error)
        or (form is not None and bool(form.errors))
        or any(outcome.failed for outcome in outcomes)
    )
    if not failed and not is_fragment_request(request):
        names = ", ".join(outcome.name for outcome in stored)
        flash.success(request, f"Uploaded {names}.")
        return redirect("knowledge:collection-detail", pk=collection.pk)
    # The page (or, with htmx, its upload panel) says what became of each file.
    context = _detail_context(collection, outcomes=outcomes, upload_error=error)
    if form is not None:
        context["upload_form"] = form
    if is_fragment_request(request):
        response = render(request, COLLECTION_TEMPLATE + "#upload-panel", context)
        if stored:
            response["HX-Trigger"] = "knowledge:uploaded"  # the table refreshes itself on it
        return response
    # Without JS: nothing stored at all is a refusal.
    return render(request, COLLECTION_TEMPLATE, context, status=200 if stored else refused_status)


@csrf_exempt  # the CSRF check reads the body: it runs in _receive_upload, after the size check
@require_POST
@login_required
def collection_upload(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Several files in one submit; each is stored, or refused by its name, on its own.

    The request's declared size is checked before anything reads the body, so an upload larger
    than any allowed one is refused in words at once, without being received.
    """
    collection = get_collection_for_user(request.user, pk)
    size = content_length(request)
    if size > page_upload_cap():
        error = (
            f"This upload is {megabytes(size)}; send at most {prompts.MAX_FILES_PER_UPLOAD} "
            f"files of up to {megabytes_limit(settings.KNOWLEDGE_MAX_UPLOAD_BYTES)} each."
        )
        return _upload_answer(request, collection, outcomes=[], error=error, refused_status=413)
    return _receive_upload(request, collection)


@csrf_protect
def _receive_upload(request: AuthenticatedHttpRequest, collection: Collection) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_answer(request, collection, outcomes=[], form=form)
    outcomes: list[UploadOutcome] = []
    for upload in form.cleaned_data["documents"]:
        name = parsing.safe_filename(upload.name or "")
        try:
            # Size first, from what was received: an oversized file is never read into memory.
            services.check_upload(filename=name, size=int(upload.size or 0))
            result = services.upload_document(
                collection=collection, user=request.user, filename=name, data=upload.read()
            )
        except KeelError as exc:
            outcomes.append(UploadOutcome(name=name, message=exc.message))
            continue
        if result.unchanged:
            message = "Unchanged: this version is already here."
        elif result.created:
            message = "Queued for processing."
        else:
            message = "New version queued; the current one answers until it is ready."
        outcomes.append(UploadOutcome(name=name, message=message, document=result.document))
    return _upload_answer(request, collection, outcomes=outcomes)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def collection_search(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Passages for a query: the fused list, and the keyword and vector legs it came from."""
    collection = get_collection_for_user(request.user, pk)
    form = SearchForm(request.GET if "q" in request.GET else None)
    results = None
    if form.is_bound and form.is_valid():
        try:
            results = services.search_collection(
                user=request.user,
                collection=collection,
                query=form.cleaned_data["q"],
                k=form.cleaned_data["k"],
            )
        except KeelError as exc:
            add_form_error(form, "q", exc)
    template = COLLECTION_TEMPLATE
    if is_fragment_request(request):
        template += "#search-results"
    context = _detail_context(collection, search_form=form, results=results)
    return render(request, template, context)


# --- documents and passages ---------------------------------------------------------------


def _document_context(document: Document) -> dict[str, Any]:
    job = document.job
    return {
        "document": document,
        "collection": document.collection,
        "job": job,
        "passages": selectors.passages_of_document(document, limit=LISTED_PASSAGES),
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def document_detail(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    document = get_document_for_user(request.user, pk)
    template = DOCUMENT_TEMPLATE
    if is_fragment_request(request):
        template += "#document-status"
    return render(request, template, _document_context(document))


@require_POST
@login_required
def document_retry(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    document = get_document_for_user(request.user, pk)
    try:
        services.retry_document(document=document, user=request.user)
    except KeelError as exc:
        show_error(request, exc)
    if is_fragment_request(request):
        # The retry button sits in a collection's table and on the document's page: answer with
        # the fragment the button targets.
        if request.htmx.target == "document-table":
            context = _detail_context(document.collection)
            return render(request, COLLECTION_TEMPLATE + "#document-table", context)
        document = get_document_for_user(request.user, pk)
        return render(request, DOCUMENT_TEMPLATE + "#document-status", _document_context(document))
    return redirect("knowledge:document-detail", pk=document.pk)


@require_http_methods(["GET", "POST"])
@login_required
def document_delete(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    document = get_document_for_user(request.user, pk)
    if request.method == "POST":
        services.delete_document(document=document, user=request.user)
        flash.success(request, f"“{document.name}” was deleted; nothing of it is searchable.")
        return redirect("knowledge:collection-detail", pk=document.collection_id)
    return render(request, "knowledge/document_confirm_delete.html", {"document": document})


@require_GET
@login_required
def passage_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The citation target: the passage marked inside its neighbours, `?q=` terms marked too."""
    passage = get_passage_for_user(request.user, pk)
    query = request.GET.get("q", "")[: prompts.MAX_QUERY_CHARS]
    context = {
        "passage": passage,
        "document": passage.document,
        "collection": passage.collection,
        "neighbours": selectors.passage_context(passage, around=PASSAGE_NEIGHBOURS),
        "query": query,
    }
    return render(request, "knowledge/passage_detail.html", context)
