"""Reads for knowledge. One door per object: collections, documents and passages.

Outside the user's workspaces none of them exists (404); with `workspace` (an API key acts in one
workspace) the object must also be in that one. A passage is a *live* chunk: a chunk of a deleted
document, or of a version not yet ready, is not one.
"""

from __future__ import annotations

import uuid

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from product.accounts.models import User, Workspace
from product.knowledge.models import Chunk, ChunkEmbedding, Collection, Document, EmbeddingIndex

NOT_FOUND_ERRORS = (ValueError, TypeError)
# Chunk ids are bigints: a larger number in a URL names nothing (and would overflow the query).
MAX_CHUNK_ID = 2**63 - 1


def get_collection_for_user(
    user: User, collection_id: uuid.UUID | str, *, workspace: Workspace | None = None
) -> Collection:
    collections = Collection.objects.select_related("workspace").filter(
        workspace__memberships__user=user
    )
    if workspace is not None:
        collections = collections.filter(workspace=workspace)
    try:
        return collections.get(pk=collection_id)
    except (Collection.DoesNotExist, *NOT_FOUND_ERRORS) as exc:
        raise Http404("No such collection.") from exc


def get_document_for_user(
    user: User, document_id: uuid.UUID | str, *, workspace: Workspace | None = None
) -> Document:
    documents = Document.objects.select_related("collection", "workspace", "job").filter(
        workspace__memberships__user=user
    )
    if workspace is not None:
        documents = documents.filter(workspace=workspace)
    try:
        return documents.get(pk=document_id)
    except (Document.DoesNotExist, *NOT_FOUND_ERRORS) as exc:
        raise Http404("No such document.") from exc


def get_passage_for_user(
    user: User, chunk_id: int | str, *, workspace: Workspace | None = None
) -> Chunk:
    chunks = Chunk.objects.select_related("document", "collection").filter(
        live=True, workspace__memberships__user=user
    )
    if workspace is not None:
        chunks = chunks.filter(workspace=workspace)
    try:
        pk = int(chunk_id)
        if not 0 < pk <= MAX_CHUNK_ID:
            raise ValueError(pk)
        return chunks.get(pk=pk)
    except (Chunk.DoesNotExist, *NOT_FOUND_ERRORS) as exc:
        raise Http404("No such passage.") from exc


def readable_passage_ids(user: User, chunk_ids: list[int]) -> set[int]:
    """Which of these chunks the user may open now (citations to the rest are dropped)."""
    if not chunk_ids:
        return set()
    return set(
        Chunk.objects.filter(
            pk__in=chunk_ids, live=True, workspace__memberships__user=user
        ).values_list("pk", flat=True)
    )


def collections_for_workspace(workspace: Workspace) -> QuerySet[Collection]:
    return (
        Collection.objects.filter(workspace=workspace)
        .annotate(
            document_count=Count("documents", distinct=True),
            ready_count=Count(
                "documents", filter=Q(documents__status=Document.Status.READY), distinct=True
            ),
        )
        .order_by("name")
    )


def documents_in_collection(collection: Collection) -> QuerySet[Document]:
    return (
        Document.objects.filter(collection=collection)
        .select_related("job", "created_by")
        .order_by("-created_at")
    )


def passages_of_document(document: Document, *, limit: int) -> list[Chunk]:
    """The first passages of the version that answers now (a re-upload in progress has its own
    chunks, not live yet; they show once it is ready)."""
    return list(Chunk.objects.filter(document=document, live=True).order_by("ordinal")[:limit])


def passage_context(chunk: Chunk, *, around: int = 1) -> list[Chunk]:
    """The passage with its neighbours in the same version, for the citation page."""
    return list(
        Chunk.objects.filter(
            document_id=chunk.document_id,
            generation=chunk.generation,
            ordinal__gte=max(0, chunk.ordinal - around),
            ordinal__lte=chunk.ordinal + around,
        ).order_by("ordinal")
    )


def active_index(workspace: Workspace) -> EmbeddingIndex | None:
    return EmbeddingIndex.objects.filter(
        workspace=workspace, status=EmbeddingIndex.Status.ACTIVE
    ).first()


def building_index(workspace: Workspace) -> EmbeddingIndex | None:
    return (
        EmbeddingIndex.objects.filter(workspace=workspace, status=EmbeddingIndex.Status.BUILDING)
        .select_related("job")
        .first()
    )


def index_progress(index: EmbeddingIndex) -> tuple[int, int]:
    """(vectors in `index`, chunks of the workspace): how far a build has come."""
    embedded = ChunkEmbedding.objects.filter(index=index).count()
    total = Chunk.objects.filter(workspace_id=index.workspace_id).count()
    return embedded, total
