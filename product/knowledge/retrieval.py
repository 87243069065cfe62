"""Search a workspace's collections: a keyword leg, a vector leg, and their weighted fusion.

Both legs read only live chunks of the given collections in the given workspace, and the vector leg
only the vectors of the workspace's ACTIVE index, read once per search: during a model switch the
building index is never seen, and after the swap only the new one is.

Keyword leg. Postgres: the stored `search` tsvector (GIN, migration 0002) with
`websearch_to_tsquery` (every word must match), topped up when that finds fewer than k by passages
with any two of the words, then any one, ranked with `ts_rank(search, query, 1)`. How the query is
built mattered more than the ranking function on the corpus we measured (nDCG@10 0.62 for AND
then OR against 0.23 for OR alone); the middle tier keeps the OR query, which a common word makes
slow, for when it is needed.
SQLite: FTS5's `bm25()` over an OR of quoted tokens, so no user input is ever FTS syntax.

Vector leg. Postgres: pgvector applies a WHERE clause *after* its HNSW scan, so an ANN search of a
collection holding a small share of the index finds only a few of its rows. Small collections are
therefore searched exactly (a btree on (index, collection) finds their rows), large ones with the
index's partial HNSW index (`knowledge_hnsw_<hex>`), and an ANN search that comes back short falls
back to exact. SQLite: exact cosine similarity in Python over the collections' vectors.

Fusion: weighted reciprocal rank fusion. The keyword leg weighs more by default: with embeddings
that are not semantic (the dev model's hashed bag of words), equal weights scored below keyword
search alone. Every list holds at most k passages; a fused passage is in one leg's list or both.
"""

from __future__ import annotations

import heapq
import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from operator import mul
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Sum

from product.accounts.models import User, Workspace
from product.core import tracing
from product.core.errors import KeelError
from product.knowledge import prompts, selectors
from product.knowledge.fields import to_pg_text
from product.knowledge.models import Chunk, ChunkEmbedding, Document, EmbeddingIndex
from product.llm import gateway
from product.llm.gateway import JobLink

# Reciprocal rank fusion's constant (Cormack et al.): rank r counts 1 / (RRF_K + r).
RRF_K = 60
# pgvector's ceiling for hnsw.ef_search.
MAX_EF_SEARCH = 1000


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
    score: float  # the score of the list it is in (fused: RRF; keyword: rank score; vector: cosine)
    keyword_rank: int | None = None
    vector_rank: int | None = None
    vector_similarity: float | None = None


@dataclass(frozen=True)
class SearchResults:
    query: str
    fused: list[Passage]
    keyword: list[Passage]
    vector: list[Passage]
    index_model: str | None  # the embedding model of the index that answered (None: no index yet)


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    score: float  # keyword: the rank score (higher is better); vector: cosine similarity


@dataclass(frozen=True)
class VectorLeg:
    hits: list[Hit]
    method: str  # "exact" or "ann": which way Postgres answered (SQLite is always exact)


def search(
    *,
    workspace: Workspace,
    collection_ids: Sequence[uuid.UUID],
    query: str,
    k: int = prompts.DEFAULT_SEARCH_K,
    user: User | None,
    feature: str = prompts.SEARCH_FEATURE,
    job: JobLink | None = None,
) -> SearchResults:
    """The k best passages for `query` in these collections of `workspace`, by each leg and fused.

    Collections of another workspace find nothing (every query filters by both). The query is
    embedded through the gateway (ledgered and charged to `workspace` under `feature`) when the
    workspace has an active index; without one the search is keyword only.
    """
    # Postgres text cannot hold NUL; nothing else in a query needs cleaning.
    query = query.replace("\x00", " ").strip()
    collections = list(dict.fromkeys(collection_ids))
    index = selectors.active_index(workspace)
    index_model = index.model if index is not None else None
    if not query or not collections or k < 1:
        return SearchResults(query, [], [], [], index_model)
    # One retrieval step in the trace (the query's embedding is a model attempt inside it).
    with tracing.span(
        tracing.RETRIEVAL,
        "retrieval",
        {
            "gen_ai.operation.name": "retrieval",
            "keel.retrieval.query": query[:500],
            "keel.retrieval.k": k,
            "keel.retrieval.collections": [str(c) for c in collections],
        },
    ) as step:
        keyword_hits = _keyword_leg(workspace.pk, collections, query, k)
        vector_hits: list[Hit] = []
        if index is not None:
            vector = _embed_query(
                index, workspace=workspace, user=user, feature=feature, query=query, job=job
            )
            vector_hits = _vector_leg(index, workspace.pk, collections, vector, k).hits
        results = _results(
            workspace.pk, collections, query, k, keyword_hits, vector_hits, index_model
        )
        step.update(
            {
                "keel.retrieval.keyword_hits": len(keyword_hits),
                "keel.retrieval.vector_hits": len(vector_hits),
                "keel.retrieval.passages": len(results.fused),
            }
        )
        return results


def relevant(passages: Sequence[Passage]) -> list[Passage]:
    """The passages worth sending a model: found by keyword, or close enough in meaning
    (settings.KNOWLEDGE_MIN_SIMILARITY); the rest would only invite a made-up answer."""
    floor = float(settings.KNOWLEDGE_MIN_SIMILARITY)
    return [
        passage
        for passage in passages
        if passage.keyword_rank is not None
        or (passage.vector_similarity is not None and passage.vector_similarity >= floor)
    ]


def _embed_query(
    index: EmbeddingIndex,
    *,
    workspace: Workspace,
    user: User | None,
    feature: str,
    query: str,
    job: JobLink | None,
) -> list[float]:
    [vector] = gateway.embed(
        workspace=workspace,
        user=user,
        feature=feature,
        texts=[query],
        model=index.model,
        dimensions=index.dimensions,
        job=job,  # a search inside a job (a grounded reply) shows in that job's usage
    )
    if len(vector) != index.dimensions:
        raise KeelError(
            f"The embedding model “{index.model}” returned a vector of {len(vector)} dimensions; "
            f"this index expects {index.dimensions}. Check KNOWLEDGE_EMBEDDING_MODELS.",
            code="embedding_dimensions",
        )
    return _normalised(vector)


def _normalised(vector: list[float]) -> list[float]:
    norm = math.hypot(*vector)
    return [v / norm for v in vector] if norm else vector


# --- the keyword leg --------------------------------------------------------------------------


def _keyword_leg(
    workspace_id: uuid.UUID, collection_ids: list[uuid.UUID], query: str, k: int
) -> list[Hit]:
    if connection.vendor == "postgresql":
        return _pg_keyword(workspace_id, collection_ids, query, k)
    return _sqlite_keyword(workspace_id, collection_ids, query, k)


PG_KEYWORD_SQL = """
    SELECT c.id, ts_rank(c.search, q.query, 1) AS rank
    FROM knowledge_chunk c, (SELECT {tsquery} AS query) q
    WHERE c.search @@ q.query
      AND c.workspace_id = %s AND c.collection_id = ANY(%s) AND c.live
      AND NOT c.id = ANY(%s)
    ORDER BY rank DESC, c.id
    LIMIT %s
"""
# The pair tier's query grows as n², so only short queries get it (8 lexemes: 28 pairs).
MAX_PAIR_LEXEMES = 8


def _pg_keyword(
    workspace_id: uuid.UUID, collection_ids: list[uuid.UUID], query: str, k: int
) -> list[Hit]:
    """Passages with every word, then (short of k) with any two of them, then with any one.

    Each tier only tops up the one before, ranked within itself by `ts_rank(search, query, 1)`;
    the first is `websearch_to_tsquery` (quotes, `or`, `-word` work as in a search box).
    """
    hits: list[Hit] = []
    with connection.cursor() as cursor:

        def ranked(tsquery: str, value: str) -> list[Hit]:
            cursor.execute(
                PG_KEYWORD_SQL.format(tsquery=tsquery),
                [value, workspace_id, collection_ids, [h.chunk_id for h in hits], k - len(hits)],
            )
            return [Hit(int(chunk_id), float(rank)) for chunk_id, rank in cursor.fetchall()]

        hits.extend(ranked("websearch_to_tsquery('english', %s)", query))
        if len(hits) >= k:
            return hits
        cursor.execute("SELECT tsvector_to_array(to_tsvector('english', %s))", [query])
        lexemes = [_tsquery_lexeme(lexeme) for lexeme in cursor.fetchone()[0] or []]
        if len(lexemes) < 2:
            return hits  # one word: "any one" is "every"
        if 3 <= len(lexemes) <= MAX_PAIR_LEXEMES:
            # Cheaper than the OR query as well as better: a common word alone matches a large
            # share of the workspace, every row of which the OR query reads and ranks.
            pairs = " | ".join(f"({a} & {b})" for a, b in combinations(lexemes, 2))
            hits.extend(ranked("%s::tsquery", pairs))
        if len(hits) < k:
            hits.extend(ranked("%s::tsquery", " | ".join(lexemes)))
    return hits


def _tsquery_lexeme(lexeme: str) -> str:
    """A lexeme as tsquery input takes it: quoted, as is (it is normalised already)."""
    escaped = lexeme.replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}'"


def fts5_query(query: str) -> str:
    """An FTS5 query matching any word of `query`, each quoted: user text is never FTS syntax.

    `"foo" AND bar*` becomes `"foo" OR "AND" OR "bar"`; "" when there is no word at all.
    """
    words = dict.fromkeys(word.lower() for word in re.findall(r"\w+", query))
    return " OR ".join(f'"{word}"' for word in words)


# The heading weighs 2.5 times the text, as the Postgres tsvector's A weight does its B (1.0/0.4).
SQLITE_BM25 = "bm25(knowledge_chunk_fts, 2.5, 1.0)"


def _sqlite_keyword(
    workspace_id: uuid.UUID, collection_ids: list[uuid.UUID], query: str, k: int
) -> list[Hit]:
    match = fts5_query(query)
    if not match:
        return []
    placeholders = ", ".join(["%s"] * len(collection_ids))
    sql = f"""
        SELECT c.id, {SQLITE_BM25} AS bm25
        FROM knowledge_chunk_fts JOIN knowledge_chunk c ON c.id = knowledge_chunk_fts.rowid
        WHERE knowledge_chunk_fts MATCH %s
          AND c.workspace_id = %s AND c.collection_id IN ({placeholders}) AND c.live
        ORDER BY bm25, c.id
        LIMIT %s
    """  # noqa: S608 (placeholders only; every value is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, _db_uuid(workspace_id), *map(_db_uuid, collection_ids), k])
        # bm25() is lower-is-better (negative); the leg's score is higher-is-better.
        return [Hit(int(chunk_id), -float(bm25)) for chunk_id, bm25 in cursor.fetchall()]


def _db_uuid(value: uuid.UUID) -> Any:
    # SQLite keeps a UUIDField as 32 hex digits; raw SQL must compare with the same form.
    return Chunk._meta.get_field("collection").get_db_prep_value(value, connection)


# --- the vector leg ---------------------------------------------------------------------------


def _vector_leg(
    index: EmbeddingIndex,
    workspace_id: uuid.UUID,
    collection_ids: list[uuid.UUID],
    vector: list[float],
    k: int,
) -> VectorLeg:
    if connection.vendor == "postgresql":
        return _pg_vector(index, workspace_id, collection_ids, vector, k)
    return VectorLeg(_python_exact(index, workspace_id, collection_ids, vector, k), "exact")


def _pg_vector(
    index: EmbeddingIndex,
    workspace_id: uuid.UUID,
    collection_ids: list[uuid.UUID],
    vector: list[float],
    k: int,
) -> VectorLeg:
    # Chunk counts from the document rows: far fewer rows than vectors to count, and an estimate
    # is all the choice needs.
    counts = Document.objects.filter(workspace_id=workspace_id).aggregate(
        selected=Sum("chunk_count", filter=Q(collection_id__in=collection_ids)),
        total=Sum("chunk_count"),
    )
    selected, total = counts["selected"] or 0, counts["total"] or 0
    if selected < int(settings.KNOWLEDGE_EXACT_SEARCH_BELOW) or not total:
        return VectorLeg(pg_exact(index, workspace_id, collection_ids, vector, k), "exact")
    ef_search = ef_search_for(k, selected=selected, total=total)
    hits = pg_ann(index, workspace_id, collection_ids, vector, k, ef_search=ef_search)
    if len(hits) < k:
        return VectorLeg(pg_exact(index, workspace_id, collection_ids, vector, k), "exact")
    return VectorLeg(hits, "ann")


def ef_search_for(k: int, *, selected: int, total: int) -> int:
    """How many candidates the HNSW scan should yield for k results after the collection filter.

    The scan returns ef_search rows of the whole index; ask for enough that about 4k of them should
    be in the searched collections (at least 100: fewer loses recall even unfiltered).
    """
    share = selected / total if total else 1.0
    return min(MAX_EF_SEARCH, max(100, 4 * k, math.ceil(4 * k / max(share, 1e-9))))


def ann_sql(index: EmbeddingIndex, *, ef_search: int) -> str:
    """The ANN query: the index's HNSW scan (ef_search candidates), then the filter.

    Parameters: the query vector twice, the collection ids, the workspace id, k.
    """
    dimensions = int(index.dimensions)
    # Literals, not parameters, so the planner can match the partial index's expression and its
    # WHERE clause (services._create_vector_index writes them the same way).
    distance = f"e.embedding::vector({dimensions}) <=> %s::vector({dimensions})"
    return f"""
        WITH candidates AS MATERIALIZED (
            SELECT e.chunk_id, e.collection_id, {distance} AS distance
            FROM knowledge_chunkembedding e
            WHERE e.index_id = '{uuid.UUID(str(index.pk))}'::uuid
            ORDER BY {distance}
            LIMIT {int(ef_search)}
        )
        SELECT candidates.chunk_id, candidates.distance
        FROM candidates JOIN knowledge_chunk c ON c.id = candidates.chunk_id
        WHERE candidates.collection_id = ANY(%s) AND c.workspace_id = %s AND c.live
        ORDER BY candidates.distance, candidates.chunk_id
        LIMIT %s
    """  # noqa: S608 (the interpolated values are ints and a UUID)


def pg_ann(
    index: EmbeddingIndex,
    workspace_id: uuid.UUID,
    collection_ids: list[uuid.UUID],
    vector: list[float],
    k: int,
    *,
    ef_search: int,
) -> list[Hit]:
    """Approximate: the HNSW scan, then the filter (live, these collections); may find < k."""
    text = to_pg_text(vector)
    # SET LOCAL lasts to the end of the transaction: this one, unless the caller's is outer.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL hnsw.ef_search = {int(ef_search)}")
        cursor.execute(
            ann_sql(index, ef_search=ef_search), [text, text, collection_ids, workspace_id, k]
        )
        rows = cursor.fetchall()
    return [Hit(int(chunk_id), 1.0 - float(distance)) for chunk_id, distance in rows]


PG_EXACT_SQL = """
    SELECT e.chunk_id, e.embedding <=> %s::vector AS distance
    FROM knowledge_chunkembedding e JOIN knowledge_chunk c ON c.id = e.chunk_id
    WHERE e.index_id = %s AND e.collection_id = ANY(%s) AND c.workspace_id = %s AND c.live
    ORDER BY distance, e.chunk_id
    LIMIT %s
"""


def pg_exact(
    index: EmbeddingIndex,
    workspace_id: uuid.UUID,
    collection_ids: list[uuid.UUID],
    vector: list[float],
    k: int,
) -> list[Hit]:
    """Exact: every vector of these collections in this index (the uncast column: no HNSW)."""
    with connection.cursor() as cursor:
        cursor.execute(
            PG_EXACT_SQL, [to_pg_text(vector), index.pk, collection_ids, workspace_id, k]
        )
        rows = cursor.fetchall()
    return [Hit(int(chunk_id), 1.0 - float(distance)) for chunk_id, distance in rows]


def _python_exact(
    index: EmbeddingIndex,
    workspace_id: uuid.UUID,
    collection_ids: list[uuid.UUID],
    vector: list[float],
    k: int,
) -> list[Hit]:
    rows = ChunkEmbedding.objects.filter(
        index=index,
        collection_id__in=collection_ids,
        chunk__workspace_id=workspace_id,
        chunk__live=True,
    ).values_list("chunk_id", "embedding")
    scored: list[tuple[float, int]] = []
    for chunk_id, embedding in rows.iterator(chunk_size=2000):
        norm = math.hypot(*embedding)
        if norm and len(embedding) == len(vector):
            scored.append((sum(map(mul, vector, embedding)) / norm, chunk_id))
    best = heapq.nsmallest(k, scored, key=lambda item: (-item[0], item[1]))
    return [Hit(chunk_id, similarity) for similarity, chunk_id in best]


# --- fusion and the passages ------------------------------------------------------------------


def fuse(keyword: list[Hit], vector: list[Hit], *, k: int) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion: (chunk id, score), best first, at most k."""
    weights = (float(settings.KNOWLEDGE_KEYWORD_WEIGHT), float(settings.KNOWLEDGE_VECTOR_WEIGHT))
    scores: dict[int, float] = {}
    for hits, weight in zip((keyword, vector), weights, strict=True):
        for rank, hit in enumerate(hits, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight / (RRF_K + rank)
    keyword_rank = {hit.chunk_id: rank for rank, hit in enumerate(keyword)}
    # Ties go to the keyword leg's order, then the chunk id: the same query gives the same list.
    ordered = sorted(
        scores.items(),
        key=lambda item: (-item[1], keyword_rank.get(item[0], len(keyword)), item[0]),
    )
    return ordered[:k]


def _results(
    workspace_id: uuid.UUID,
    collection_ids: list[uuid.UUID],
    query: str,
    k: int,
    keyword_hits: list[Hit],
    vector_hits: list[Hit],
    index_model: str | None,
) -> SearchResults:
    keyword_hits, vector_hits = keyword_hits[:k], vector_hits[:k]
    keyword_rank = {hit.chunk_id: rank for rank, hit in enumerate(keyword_hits, start=1)}
    vector_rank = {hit.chunk_id: rank for rank, hit in enumerate(vector_hits, start=1)}
    similarity = {hit.chunk_id: hit.score for hit in vector_hits}
    # The filters again: a chunk deleted or replaced since its leg ran is dropped, never shown.
    rows = {
        row["id"]: row
        for row in Chunk.objects.filter(
            pk__in=keyword_rank.keys() | vector_rank.keys(),
            workspace_id=workspace_id,
            collection_id__in=collection_ids,
            live=True,
        ).values(
            "id",
            "document_id",
            "document__name",
            "collection_id",
            "text",
            "heading",
            "page",
            "char_start",
            "char_end",
        )
    }

    def passages(scored: list[tuple[int, float]]) -> list[Passage]:
        return [
            Passage(
                chunk_id=chunk_id,
                document_id=rows[chunk_id]["document_id"],
                document_name=rows[chunk_id]["document__name"],
                collection_id=rows[chunk_id]["collection_id"],
                text=rows[chunk_id]["text"],
                heading=rows[chunk_id]["heading"],
                page=rows[chunk_id]["page"],
                char_start=rows[chunk_id]["char_start"],
                char_end=rows[chunk_id]["char_end"],
                score=score,
                keyword_rank=keyword_rank.get(chunk_id),
                vector_rank=vector_rank.get(chunk_id),
                vector_similarity=similarity.get(chunk_id),
            )
            for chunk_id, score in scored
            if chunk_id in rows
        ]

    return SearchResults(
        query=query,
        fused=passages(fuse(keyword_hits, vector_hits, k=k)),
        keyword=passages([(hit.chunk_id, hit.score) for hit in keyword_hits]),
        vector=passages([(hit.chunk_id, hit.score) for hit in vector_hits]),
        index_model=index_model,
    )
