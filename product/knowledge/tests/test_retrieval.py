"""Retrieval: each leg finds its passage, fusion ranks them, and nothing outside the search's scope
(another workspace, another collection, a version in flight, a deleted document, a building index)
ever comes back. Runs on SQLite and on Postgres with pgvector; the ANN cases are Postgres only."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from product.accounts.models import Membership, User, Workspace
from product.core.errors import InvalidInput
from product.devmodel.server import embed_text
from product.jobs import services as job_services
from product.knowledge import prompts, retrieval, services
from product.knowledge.fields import to_pg_text
from product.knowledge.models import Chunk, ChunkEmbedding, Collection, EmbeddingIndex
from product.knowledge.retrieval import Hit, SearchResults
from product.knowledge.tests.factories import CollectionFactory, add_document
from product.llm.models import LLMCall

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("devmodel_llm")]


@pytest.fixture(autouse=True)
def _constraints_checked_at_once(db: None) -> None:
    """Postgres: check foreign keys per statement, as the autocommit app does in effect.

    Django declares them DEFERRABLE INITIALLY DEFERRED, so inside a test's one transaction every
    vector insert leaves a pending check, and a later CREATE INDEX on that table (a new embedding
    index's HNSW index) is refused ("pending trigger events").
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pgvector's HNSW index exists on Postgres only"
)

PASSAGES: list[str | tuple[str, str]] = [
    ("Jobs", "The reaper re-enqueues stale jobs every thirty seconds."),
    ("Workers", "Keel runs model calls on workers, off the request."),
    ("Budgets", "Each workspace has a monthly budget that caps model spend."),
    ("Keys", "API keys are hashed at rest and shown once when created."),
]


@pytest.fixture
def handbook(alice: User, acme: Workspace) -> Collection:
    collection: Collection = CollectionFactory(workspace=acme, created_by=alice, name="Handbook")
    add_document(collection, name="handbook.md", passages=PASSAGES)
    return collection


@pytest.fixture
def runbook(alice: User, acme: Workspace) -> Collection:
    collection: Collection = CollectionFactory(workspace=acme, created_by=alice, name="Runbook")
    add_document(
        collection,
        name="runbook.md",
        passages=[("Incidents", "When the reaper stalls, page the on-call engineer.")],
    )
    return collection


def run(
    collection: Collection | list[Collection], query: str, *, k: int = 8, **kwargs: Any
) -> SearchResults:
    collections = collection if isinstance(collection, list) else [collection]
    return retrieval.search(
        workspace=kwargs.pop("workspace", collections[0].workspace),
        collection_ids=[c.pk for c in collections],
        query=query,
        k=k,
        user=kwargs.pop("user", collections[0].created_by),
        **kwargs,
    )


def every_passage(results: SearchResults) -> list[retrieval.Passage]:
    return results.fused + results.keyword + results.vector


def texts(passages: list[retrieval.Passage]) -> list[str]:
    return [passage.text for passage in passages]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (math.hypot(*a) * math.hypot(*b))


def test_it_finds_a_passage_by_keyword(handbook: Collection) -> None:
    results = run(handbook, "stale jobs")
    top = results.keyword[0]
    assert top.text == "The reaper re-enqueues stale jobs every thirty seconds."
    assert top.keyword_rank == 1
    assert top.score > 0
    assert results.fused[0].chunk_id == top.chunk_id
    # What a citation needs comes with it.
    chunk = Chunk.objects.get(pk=top.chunk_id)
    assert (top.document_id, top.document_name) == (chunk.document_id, "handbook.md")
    assert (top.collection_id, top.heading, top.page) == (handbook.pk, "Jobs", None)
    assert (top.char_start, top.char_end) == (chunk.char_start, chunk.char_end)


def test_it_matches_word_forms_and_the_heading(handbook: Collection) -> None:
    # Stemming both ways ("caps" ~ "capping", "budget" ~ "budgets"), and a heading's word.
    assert texts(run(handbook, "capping").keyword) == [
        "Each workspace has a monthly budget that caps model spend."
    ]
    assert run(handbook, "budgets").keyword[0].heading == "Budgets"


def test_it_finds_a_passage_by_vector(handbook: Collection) -> None:
    query = "workers run the model calls"
    results = run(handbook, query)
    top = results.vector[0]
    assert top.text == "Keel runs model calls on workers, off the request."
    assert top.vector_rank == 1
    index = EmbeddingIndex.objects.get(workspace=handbook.workspace)
    assert results.index_model == index.model
    # The similarity is the cosine of the dev model's vectors, the same the server embeds.
    expected = cosine(
        embed_text(query, index.dimensions, index.model),
        embed_text(services.embedding_input(top.heading, top.text), index.dimensions, index.model),
    )
    assert top.vector_similarity == top.score == pytest.approx(expected, abs=1e-5)
    similarities = [passage.score for passage in results.vector]
    assert similarities == sorted(similarities, reverse=True)


def test_the_vector_leg_answers_when_no_word_matches(handbook: Collection) -> None:
    results = run(handbook, "zyzzyva quokka")
    assert results.keyword == []
    # Nearest by vector, however far: every passage of the collection is a candidate.
    assert len(results.vector) == len(PASSAGES) == len(results.fused)
    assert all(passage.keyword_rank is None for passage in results.fused)


def test_the_query_is_embedded_through_the_gateway_once(handbook: Collection) -> None:
    run(handbook, "stale jobs", feature="chat.grounding")
    call = LLMCall.objects.get()
    assert (call.feature, call.model, call.status) == (
        "chat.grounding",
        "keel-dev-embed",
        LLMCall.Status.SUCCEEDED,
    )
    assert call.workspace_id == handbook.workspace_id


def test_it_reads_the_active_index_once(handbook: Collection) -> None:
    with CaptureQueriesContext(connection) as queries:
        run(handbook, "stale jobs")
    index_reads = [q for q in queries.captured_queries if "knowledge_embeddingindex" in q["sql"]]
    assert len(index_reads) == 1


def test_fusion_ranks_both_legs_and_weighs_keyword_above_vector(
    handbook: Collection, settings: Any
) -> None:
    results = run(handbook, "reaper stale jobs")
    reaper = results.fused[0]
    # Found by both legs, first in both: the best fused score there is.
    assert (reaper.keyword_rank, reaper.vector_rank) == (1, 1)
    assert reaper.score == pytest.approx(
        settings.KNOWLEDGE_KEYWORD_WEIGHT / 61 + settings.KNOWLEDGE_VECTOR_WEIGHT / 61
    )
    assert [p.score for p in results.fused] == sorted(
        (p.score for p in results.fused), reverse=True
    )
    # First by keyword alone beats first by vector alone at the default weights, and not otherwise.
    keyword_only, vector_only = [Hit(1, 3.0)], [Hit(2, 0.9)]
    assert [chunk for chunk, _ in retrieval.fuse(keyword_only, vector_only, k=2)] == [1, 2]
    settings.KNOWLEDGE_VECTOR_WEIGHT = 2.0
    assert [chunk for chunk, _ in retrieval.fuse(keyword_only, vector_only, k=2)] == [2, 1]


def test_every_list_holds_at_most_k(alice: User, acme: Workspace) -> None:
    collection = CollectionFactory(workspace=acme, created_by=alice)
    add_document(collection, passages=[f"Note {n} about the reaper." for n in range(12)])
    results = run(collection, "reaper note", k=5)
    assert len(results.keyword) == len(results.vector) == len(results.fused) == 5
    assert [p.keyword_rank for p in results.keyword] == [1, 2, 3, 4, 5]


def test_more_of_the_words_rank_first(alice: User, acme: Workspace) -> None:
    # Postgres: every word, then any two, then any one (each tier tops up the one before);
    # SQLite: bm25 over any word, which ranks the same way here.
    collection = CollectionFactory(workspace=acme, created_by=alice)
    add_document(
        collection,
        passages=[
            "Nightly, the reaper requeues stale work.",
            "Stale caches are flushed by the reaper.",
            "Backups run nightly.",
            "Nothing about any of the words here.",
        ],
    )
    results = run(collection, "reaper stale nightly")
    assert texts(results.keyword) == [
        "Nightly, the reaper requeues stale work.",
        "Stale caches are flushed by the reaper.",
        "Backups run nightly.",
    ]
    assert texts(run(collection, "reaper nightly").keyword)[0] == (
        "Nightly, the reaper requeues stale work."
    )


def test_another_workspaces_passages_never_appear(
    handbook: Collection, charlie: User, alice: User
) -> None:
    corner = Workspace.objects.get(name="Charlie's corner")
    theirs = CollectionFactory(workspace=corner, created_by=charlie, name="Handbook")
    add_document(theirs, passages=PASSAGES)
    results = run(handbook, "stale jobs reaper workers")
    assert {p.collection_id for p in every_passage(results)} == {handbook.pk}
    # Naming their collection while searching Acme finds nothing of it either.
    crossed = run([handbook, theirs], "stale jobs reaper workers", workspace=handbook.workspace)
    assert {p.collection_id for p in every_passage(crossed)} == {handbook.pk}
    alone = run([theirs], "stale jobs", workspace=handbook.workspace, user=alice)
    assert every_passage(alone) == []


def test_another_collections_passages_never_appear(
    handbook: Collection, runbook: Collection
) -> None:
    results = run(runbook, "reaper stale jobs")
    assert (
        texts(every_passage(results)) == ["When the reaper stalls, page the on-call engineer."] * 3
    )
    both = run([handbook, runbook], "reaper")
    assert {p.collection_id for p in both.keyword} == {handbook.pk, runbook.pk}


def test_a_version_in_flight_never_appears(handbook: Collection) -> None:
    document = handbook.documents.get()
    index = EmbeddingIndex.objects.get(workspace=handbook.workspace)
    text = "Draft: the reaper now waits ninety seconds."
    draft = Chunk.objects.create(
        workspace=handbook.workspace,
        collection=handbook,
        document=document,
        generation=document.generation + 1,
        live=False,
        ordinal=0,
        text=text,
        char_start=0,
        char_end=len(text),
        token_count=7,
        content_hash="draft",
    )
    ChunkEmbedding.objects.create(
        chunk=draft,
        index=index,
        collection=handbook,
        content_hash="draft",
        embedding=embed_text(text, index.dimensions, index.model),
    )
    results = run(handbook, text)
    assert draft.pk not in {p.chunk_id for p in every_passage(results)}
    assert results.keyword  # the live version still answers


def test_nothing_of_a_deleted_document_is_returned(
    handbook: Collection, runbook: Collection, alice: User
) -> None:
    services.delete_document(document=handbook.documents.get(), user=alice)
    results = run([handbook, runbook], "reaper stale jobs workers budget keys")
    assert {p.document_name for p in every_passage(results)} == {"runbook.md"}


@pytest.mark.parametrize(
    "query",
    [
        '"foo" AND bar*',
        '"reaper" AND stale*',
        "NEAR(reaper jobs, 2)",
        "heading: jobs",
        "text:reaper OR -stale",
        '"unbalanced',
        "(((",
        "^reaper",
        "* + - ~ :",
        "'); DROP TABLE knowledge_chunk; --",
        "reaper\x00stale",
        "\\",
        "AND OR NOT",
        "O'Reilly's C:\\temp\\x 'quoted' reaper",
        "reaper & | ! <-> :* stale",
    ],
)
def test_hostile_search_syntax_is_safe(handbook: Collection, query: str) -> None:
    results = run(handbook, query)
    assert isinstance(results.fused, list)
    if "reaper" in query.lower():
        assert "The reaper re-enqueues stale jobs every thirty seconds." in texts(results.keyword)
    assert Chunk.objects.filter(collection=handbook).count() == len(PASSAGES)


def test_fts5_queries_are_quoted_words() -> None:
    assert retrieval.fts5_query('"foo" AND bar*') == '"foo" OR "and" OR "bar"'
    assert retrieval.fts5_query('* ( " :') == ""


@postgres_only
@pytest.mark.parametrize("lexeme", ["o'reilly", "back\\slash", "a:b", "x & y", "it''s"])
def test_a_lexeme_goes_into_a_tsquery_as_itself(lexeme: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_to_tsvector(ARRAY[%s]) @@ %s::tsquery",
            [lexeme, retrieval._tsquery_lexeme(lexeme)],
        )
        assert cursor.fetchone()[0] is True


def test_without_an_index_it_searches_by_keyword_only(handbook: Collection) -> None:
    EmbeddingIndex.objects.filter(workspace=handbook.workspace).delete()
    results = run(handbook, "stale jobs")
    assert results.index_model is None
    assert results.vector == []
    assert texts(results.fused) == ["The reaper re-enqueues stale jobs every thirty seconds."]
    assert not LLMCall.objects.exists()


def test_an_empty_query_finds_nothing_and_costs_nothing(handbook: Collection) -> None:
    results = run(handbook, "   ")
    assert every_passage(results) == []
    assert not LLMCall.objects.exists()


def poison(index: EmbeddingIndex, chunk: Chunk, vector: list[float]) -> None:
    ChunkEmbedding.objects.create(
        chunk=chunk,
        index=index,
        collection_id=chunk.collection_id,
        content_hash=chunk.content_hash,
        embedding=vector,
    )


def assert_one_space(results: SearchResults, index: EmbeddingIndex, query: str) -> None:
    """Every vector-leg similarity is the cosine of the query and the chunk's vector in `index`."""
    stored = dict(ChunkEmbedding.objects.filter(index=index).values_list("chunk_id", "embedding"))
    query_vector = embed_text(query, index.dimensions, index.model)
    for passage in results.vector:
        assert passage.vector_similarity == pytest.approx(
            cosine(query_vector, stored[passage.chunk_id]), abs=1e-5
        )


def test_during_a_model_switch_only_the_active_index_answers(
    handbook: Collection, alice: User, acme: Workspace
) -> None:
    active = EmbeddingIndex.objects.get(workspace=acme)
    membership = Membership.objects.get(workspace=acme, user=alice)
    building = services.switch_embedding_model(membership=membership, model="keel-dev-embed-large")
    assert (building.status, building.dimensions) == ("building", 512)
    query = "reaper stale jobs"
    # The building index is half filled, with vectors that would put every other passage first if
    # its space were mixed into the active one's: they equal the query's own.
    chunks = list(Chunk.objects.filter(collection=handbook).order_by("ordinal"))
    reaper = chunks[0]
    reaper_text = services.embedding_input(reaper.heading, reaper.text)
    poison(building, reaper, embed_text(reaper_text, 512, building.model))
    for chunk in chunks[1:3]:
        poison(building, chunk, embed_text(query, 512, building.model))

    during = run(handbook, query)
    assert during.index_model == active.model == "keel-dev-embed"
    assert during.vector[0].text == reaper.text
    assert max(p.score for p in during.vector[1:]) < 0.9
    assert_one_space(during, active, query)

    assert building.job is not None
    job_services.run_job(building.job.pk)
    building.refresh_from_db()
    assert building.status == EmbeddingIndex.Status.ACTIVE

    after = run(handbook, query)
    assert after.index_model == "keel-dev-embed-large"
    assert {p.chunk_id for p in after.vector[:2]} == {c.pk for c in chunks[1:3]}
    assert after.vector[0].score == pytest.approx(1.0, abs=1e-5)
    assert_one_space(after, building, query)
    assert not ChunkEmbedding.objects.filter(index=active).exists()
    assert LLMCall.objects.filter(feature="knowledge.search").values_list(
        "model", flat=True
    ).order_by("created_at")[1] == ("keel-dev-embed-large")


# --- the service --------------------------------------------------------------------------


def test_search_collection_searches_one_collection(
    handbook: Collection, runbook: Collection, alice: User
) -> None:
    results = services.search_collection(user=alice, collection=handbook, query="  reaper ", k=3)
    assert results.query == "reaper"
    assert {p.collection_id for p in every_passage(results)} == {handbook.pk}
    assert len(results.vector) == 3
    assert LLMCall.objects.get().feature == prompts.SEARCH_FEATURE


@pytest.mark.parametrize(
    ("query", "k", "code", "message"),
    [
        (" \n ", 8, "query_required", "Type something to search for."),
        (
            "x" * 1001,
            8,
            "query_too_long",
            "The query is 1,001 characters long; the limit is 1,000.",
        ),
        ("reaper", 0, "invalid_k", "Ask for between 1 and 50 passages (not 0)."),
        ("reaper", 51, "invalid_k", "Ask for between 1 and 50 passages (not 51)."),
    ],
)
def test_search_collection_refuses_bad_input(
    handbook: Collection, alice: User, query: str, k: int, code: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.search_collection(user=alice, collection=handbook, query=query, k=k)
    assert (caught.value.code, caught.value.message) == (code, message)
    assert not LLMCall.objects.exists()


# --- Postgres: exact and approximate vector search ----------------------------------------

WORDS = [
    "reaper",
    "worker",
    "queue",
    "budget",
    "ledger",
    "token",
    "model",
    "stream",
    "retry",
    "quota",
    "index",
    "vector",
    "chunk",
    "page",
    "heading",
    "upload",
    "parse",
    "embed",
    "search",
    "rank",
    "fusion",
    "cosine",
    "keyword",
    "citation",
    "source",
    "answer",
    "job",
    "cancel",
    "beat",
    "broker",
    "redis",
    "postgres",
    "sqlite",
    "tenant",
    "workspace",
    "member",
    "owner",
    "key",
    "secret",
    "hash",
]


def random_passages(rng: random.Random, count: int) -> list[str | tuple[str, str]]:
    # A number of its own makes every passage distinct (no ties in distance).
    return [" ".join(rng.choices(WORDS, k=12)) + f" n{rng.randrange(10**9)}" for _ in range(count)]


@pytest.fixture
def three_collections(alice: User, acme: Workspace) -> list[Collection]:
    rng = random.Random(7)
    collections: list[Collection] = []
    for n in range(3):
        collection: Collection = CollectionFactory(
            workspace=acme, created_by=alice, name=f"Shelf {n}"
        )
        add_document(collection, name=f"shelf{n}.md", passages=random_passages(rng, 60))
        collections.append(collection)
    return collections


def use_the_hnsw_index_when_it_can() -> None:
    """Tables this small are cheaper to scan and sort, so the planner would answer the ANN query
    exactly. Make every other plan look dear, for the rest of the test's transaction. (The bench
    shows the planner choosing the HNSW index on its own at 100,000 rows.)"""
    with connection.cursor() as cursor:
        for plan_kind in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{plan_kind} = off")


def ann_plan(index: EmbeddingIndex, collection: Collection) -> str:
    text = to_pg_text(embed_text("reaper budget", index.dimensions, index.model))
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN " + retrieval.ann_sql(index, ef_search=100),
            [text, text, [collection.pk], collection.workspace_id, 8],
        )
        return "\n".join(row[0] for row in cursor.fetchall())


@postgres_only
def test_ann_over_one_of_three_collections_finds_what_exact_search_finds(
    three_collections: list[Collection], acme: Workspace, settings: Any
) -> None:
    index = EmbeddingIndex.objects.get(workspace=acme)
    target = three_collections[1]
    use_the_hnsw_index_when_it_can()
    # The partial index serves the query: its expression and its WHERE clause match.
    assert f"Index Scan using knowledge_hnsw_{index.pk.hex}" in ann_plan(index, target)
    rng = random.Random(11)
    for _ in range(5):
        query = " ".join(rng.choices(WORDS, k=4))
        vector = embed_text(query, index.dimensions, index.model)
        exact = retrieval.pg_exact(index, acme.pk, [target.pk], vector, 10)
        ann = retrieval.pg_ann(index, acme.pk, [target.pk], vector, 10, ef_search=100)
        assert [hit.chunk_id for hit in ann] == [hit.chunk_id for hit in exact]
        assert [hit.score for hit in ann] == pytest.approx([hit.score for hit in exact], abs=1e-6)
        assert {Chunk.objects.get(pk=hit.chunk_id).collection_id for hit in ann} == {target.pk}
    # Through search(): with the threshold at 0 the leg takes the ANN path, with the same result.
    settings.KNOWLEDGE_EXACT_SEARCH_BELOW = 0
    query = "reaper budget ledger"
    vector = embed_text(query, index.dimensions, index.model)
    leg = retrieval._vector_leg(index, acme.pk, [target.pk], vector, 8)
    assert leg.method == "ann"
    results = run(target, query)
    assert [p.chunk_id for p in results.vector] == [
        hit.chunk_id for hit in retrieval.pg_exact(index, acme.pk, [target.pk], vector, 8)
    ]


@postgres_only
def test_each_index_has_its_own_hnsw_index(
    three_collections: list[Collection], alice: User, acme: Workspace
) -> None:
    membership = Membership.objects.get(workspace=acme, user=alice)
    building = services.switch_embedding_model(membership=membership, model="keel-dev-embed-large")
    use_the_hnsw_index_when_it_can()
    assert f"knowledge_hnsw_{building.pk.hex}" in ann_plan(building, three_collections[0])
    active = EmbeddingIndex.objects.get(workspace=acme, status=EmbeddingIndex.Status.ACTIVE)
    assert f"knowledge_hnsw_{active.pk.hex}" in ann_plan(active, three_collections[0])


@postgres_only
def test_a_short_ann_answer_falls_back_to_exact(
    three_collections: list[Collection], alice: User, acme: Workspace, settings: Any
) -> None:
    # A tiny collection beside the three: its rows are a sliver of the HNSW scan's candidates.
    small = CollectionFactory(workspace=acme, created_by=alice, name="Sliver")
    add_document(small, passages=random_passages(random.Random(3), 4))
    settings.KNOWLEDGE_EXACT_SEARCH_BELOW = 0
    index = EmbeddingIndex.objects.get(workspace=acme)
    vector = embed_text("reaper budget", index.dimensions, index.model)
    leg = retrieval._vector_leg(index, acme.pk, [small.pk], vector, 8)
    assert leg.method == "exact"
    assert len(leg.hits) == 4
