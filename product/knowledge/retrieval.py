"""TEMPORARY (helper "kchat" only; the lead drops this commit when helper "retrieval" merges).

The spec's `search(...)` interface over a plain Python scan, so grounded chat can be built and
tested before the real retrieval lands: the keyword leg is word overlap over the live chunks of the
collections, the vector leg is an exact cosine over the active index's vectors, fused by RRF. The
query embedding goes through `gateway.embed`, ledgered under the caller's feature, like the real one.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace

from product.accounts.models import User, Workspace
from product.knowledge import selectors
from product.knowledge.models import Chunk, ChunkEmbedding
from product.llm import gateway

RRF_K = 60
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    document_id: uuid.UUID
    document_name: str
    collection_id: uuid.UUID
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
class SearchResults:
    query: str
    fused: list[Passage]
    keyword: list[Passage]
    vector: list[Passage]
    index_model: str | None


def _words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if len(word) > 2}


def _passage(chunk: Chunk, score: float) -> Passage:
    return Passage(
        chunk_id=chunk.pk,
        document_id=chunk.document_id,
        document_name=chunk.document.name,
        collection_id=chunk.collection_id,
        text=chunk.text,
        heading=chunk.heading,
        page=chunk.page,
        char_start=chunk.char_start,
        char_end=chunk.char_end,
        score=score,
    )


def search(
    *,
    workspace: Workspace,
    collection_ids: Sequence[uuid.UUID],
    query: str,
    k: int = 8,
    user: User | None,
    feature: str = "knowledge.search",
) -> SearchResults:
    chunks = {
        chunk.pk: chunk
        for chunk in Chunk.objects.select_related("document").filter(
            workspace=workspace, collection_id__in=list(collection_ids), live=True
        )
    }
    wanted = _words(query)
    overlaps = sorted(
        ((len(wanted & _words(f"{c.heading} {c.text}")), c.pk) for c in chunks.values()),
        key=lambda pair: (-pair[0], pair[1]),
    )
    keyword = [
        replace(_passage(chunks[pk], float(hits)), keyword_rank=rank)
        for rank, (hits, pk) in enumerate((p for p in overlaps if p[0] > 0), start=1)
    ][:k]
    index = selectors.active_index(workspace)
    vector: list[Passage] = []
    if index is not None:
        [query_vector] = gateway.embed(
            workspace=workspace,
            user=user,
            feature=feature,
            texts=[query],
            model=index.model,
            dimensions=index.dimensions,
        )
        similarities = sorted(
            (
                (_cosine(query_vector, row.embedding), row.chunk_id)
                for row in ChunkEmbedding.objects.filter(index=index, chunk_id__in=list(chunks))
            ),
            key=lambda pair: (-pair[0], pair[1]),
        )[:k]
        vector = [
            replace(
                _passage(chunks[pk], similarity), vector_rank=rank, vector_similarity=similarity
            )
            for rank, (similarity, pk) in enumerate(similarities, start=1)
        ]
    fused_scores: dict[int, float] = {}
    for leg in (keyword, vector):
        for rank, passage in enumerate(leg, start=1):
            fused_scores[passage.chunk_id] = fused_scores.get(passage.chunk_id, 0.0) + 1 / (
                RRF_K + rank
            )
    by_keyword = {p.chunk_id: p for p in keyword}
    by_vector = {p.chunk_id: p for p in vector}
    fused = [
        replace(
            _passage(chunks[pk], score),
            keyword_rank=by_keyword[pk].keyword_rank if pk in by_keyword else None,
            vector_rank=by_vector[pk].vector_rank if pk in by_vector else None,
            vector_similarity=by_vector[pk].vector_similarity if pk in by_vector else None,
        )
        for pk, score in sorted(fused_scores.items(), key=lambda item: (-item[1], item[0]))
    ][:k]
    return SearchResults(
        query=query,
        fused=fused,
        keyword=keyword,
        vector=vector,
        index_model=index.model if index is not None else None,
    )


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norms if norms else 0.0
