"""Knowledge rows for tests (and for the site-wide guard rails, which find factories by name).

`DocumentFactory` builds a READY document with live chunks and vectors in the workspace's active
index, the way ingestion leaves one, without running the pipeline: retrieval and page tests use it.
"""

from __future__ import annotations

import hashlib
from typing import Any

import factory
from django.core.files.base import ContentFile

from product.devmodel.server import embed_text
from product.knowledge import services
from product.knowledge.models import Chunk, ChunkEmbedding, Collection, Document


class CollectionFactory(factory.django.DjangoModelFactory):
    """Pass `workspace` and `created_by`."""

    class Meta:
        model = Collection

    name = factory.Sequence(lambda n: f"Handbook {n}")
    description = "Team handbook"


def add_document(
    collection: Collection,
    *,
    name: str = "handbook.md",
    passages: list[str | tuple[str, str]] | None = None,
    created_by: Any = None,
) -> Document:
    """A ready document whose chunks are `passages` (text, or (heading, text)), with vectors.

    The vectors are the dev model server's (the same function it serves), in the workspace's
    active index, so the vector leg finds what the server would embed.
    """
    passages = passages or ["Keel runs model calls on workers, off the request."]
    index = services.ensure_active_index(collection.workspace)
    body = "\n\n".join(p if isinstance(p, str) else p[1] for p in passages).encode()
    document = Document(
        workspace=collection.workspace,
        collection=collection,
        created_by=created_by or collection.created_by,
        name=name,
        kind="markdown",
        size_bytes=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        status=Document.Status.READY,
        chunk_count=len(passages),
        embedded_count=len(passages),
    )
    document.file.save(name, ContentFile(body), save=False)
    document.save()
    offset = 0
    for ordinal, passage in enumerate(passages):
        heading, text = ("", passage) if isinstance(passage, str) else passage
        content = services.embedding_input(heading, text)
        chunk = Chunk.objects.create(
            workspace=collection.workspace,
            collection=collection,
            document=document,
            generation=document.generation,
            live=True,
            ordinal=ordinal,
            text=text,
            heading=heading,
            char_start=offset,
            char_end=offset + len(text),
            token_count=len(text.split()),
            content_hash=hashlib.sha256(f"{heading}\n{text}".encode()).hexdigest(),
        )
        offset += len(text) + 2
        ChunkEmbedding.objects.create(
            chunk=chunk,
            index=index,
            collection=collection,
            content_hash=chunk.content_hash,
            embedding=embed_text(content, index.dimensions, index.model),
        )
    return document


class DocumentFactory(factory.django.DjangoModelFactory):
    """A ready document with live passages and vectors, as `add_document` builds it.

    Pass `workspace` and `created_by` (as the guard rails do): the document gets a collection of
    its own in that workspace unless `collection` is given; `passages` as for add_document.
    """

    class Meta:
        model = Document

    workspace = None
    created_by = None
    collection = factory.SubFactory(
        CollectionFactory,
        workspace=factory.SelfAttribute("..workspace"),
        created_by=factory.SelfAttribute("..created_by"),
    )
    name = factory.Sequence(lambda n: f"guide-{n}.md")

    @classmethod
    def _create(cls, model_class: type[Document], *args: Any, **kwargs: Any) -> Document:
        return add_document(
            kwargs["collection"],
            name=kwargs["name"],
            passages=kwargs.get("passages"),
            created_by=kwargs.get("created_by"),
        )
