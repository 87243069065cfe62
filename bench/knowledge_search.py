"""Knowledge search at size: retrieval.search over a workspace of 100,000 chunks (Postgres + pgvector).

One workspace holds 100,000 chunks (one collection of 80,000 and four of 5,000), ten others 20,000
each (copies of one corpus), all in the same tables. The text is synthetic, 60-120 words a chunk: a
third from its document's 40 topic words, the rest from a Zipf distribution over 20,000 made-up
words whose most frequent ranks are English stop words (Postgres drops them, as it would a real
text's). Vectors are the dev model server's `embed_text`, the function it serves. Rows go in with
COPY, then the GIN index and the workspace's HNSW index are built and the tables analysed, as a
workspace that grew over time would have them (the other workspaces' HNSW indexes are left out:
each is partial, on its own index's vectors, so no search here reads them).

Then 200 searches over the big workspace's five collections, each the whole `retrieval.search`: the
keyword leg, the query's embedding through the gateway (a real HTTP call to the dev model server,
ledgered), the vector leg (ANN: the searched collections are the whole index), fusion and the
passages. A query is 2-4 content words from a random chunk of the workspace.

Prints one JSON line last:
{"bench":"knowledge_search","chunks":100000,"other_workspaces":10,"p50_ms":...,"p95_ms":...,
 "keyword_p50_ms":...,"vector_p50_ms":...,"cpu_ms_per_search":...,"ann_recall_at_10_vs_exact":...}
(goals: p50 <= 20 ms, p95 <= 50 ms). cpu_ms_per_search is this process's CPU (Python: the ORM,
the gateway, fusion); db_cpu_ms_per_search the Postgres backend's, when it runs on this machine.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, print_result  # noqa: E402

CHUNKS = int(os.environ.get("BENCH_KNOWLEDGE_CHUNKS", "100000"))
BIG_SHARE = 0.8  # the rest is split between SMALL_COLLECTIONS
SMALL_COLLECTIONS = 4
OTHER_WORKSPACES = int(os.environ.get("BENCH_KNOWLEDGE_OTHER_WORKSPACES", "10"))
OTHER_CHUNKS = int(os.environ.get("BENCH_KNOWLEDGE_OTHER_CHUNKS", "20000"))
CHUNKS_PER_DOCUMENT = 100
SEARCHES = 200
WARMUP = 20
SMALL_SEARCHES = 50
RECALL_QUERIES = 50
K = 8
EMBEDDING_MODEL = "keel-dev-embed"

STOP_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "with",
    "was",
    "on",
    "be",
    "by",
    "this",
    "are",
    "or",
    "at",
    "from",
    "an",
    "which",
    "not",
    "have",
    "has",
    "but",
    "they",
    "their",
    "its",
    "can",
    "will",
    "all",
    "were",
    "when",
    "there",
    "been",
    "one",
    "more",
]
SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["ar", "en", "is", "on", "ul"]
VOCABULARY_SIZE = 20_000


def log(message: str, started: float) -> None:
    print(f"knowledge_search: {message} ({time.monotonic() - started:.1f} s)", file=sys.stderr)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def vocabulary() -> tuple[list[str], list[float]]:
    """Words with cumulative Zipf weights (s = 1), the stop words at the top ranks."""
    rng = random.Random(1)
    words = list(STOP_WORDS)
    seen = set(words)
    while len(words) < VOCABULARY_SIZE:
        word = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    cumulative, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1.0 / rank
        cumulative.append(total)
    return words, cumulative


# --- loading (in worker processes: generating vectors is most of the CPU) -------------------


TOPIC_WORDS = 40
TOPIC_SHARE = 0.35
# Rows a worker process generated, by seed: the other workspaces share one corpus (their rows only
# need to be there, in the same tables and indexes), so each process generates it once.
_generated: dict[int, list[tuple[str, str, str, str]]] = {}


def generate(
    seed: int, documents: int, dimensions: int, *, shared: bool
) -> list[tuple[str, str, str, str]]:
    """(heading, text, content hash, vector text) for `documents` documents of chunks.

    A document has a topic, 40 words that make up about a third of each of its chunks' words; the
    rest come from the whole vocabulary. Without topics every vector is about as far from every
    other (nothing a real corpus looks like), and no ANN index finds neighbours in such data.
    """
    if seed in _generated:
        return _generated[seed]
    from product.devmodel.server import embed_text
    from product.knowledge.fields import to_pg_text

    words, cumulative = vocabulary()
    base = cumulative[len(STOP_WORDS) - 1]
    content_words = words[len(STOP_WORDS) :]
    content_cumulative = [c - base for c in cumulative[len(STOP_WORDS) :]]
    rng = random.Random(seed)
    rows = []
    for _document in range(documents):
        topic = rng.choices(content_words, cum_weights=content_cumulative, k=TOPIC_WORDS)
        title = " ".join(topic[:3]).title()
        for ordinal in range(CHUNKS_PER_DOCUMENT):
            length = rng.randint(60, 120)
            on_topic = round(length * TOPIC_SHARE)
            chunk_words = rng.choices(words, cum_weights=cumulative, k=length - on_topic)
            chunk_words += rng.choices(topic, k=on_topic)
            rng.shuffle(chunk_words)
            heading = f"{title} › Part {ordinal // 10 + 1}"
            text = " ".join(chunk_words)
            content = f"{heading}\n{text}"
            rows.append(
                (
                    heading,
                    text,
                    hashlib.sha256(content.encode()).hexdigest(),
                    to_pg_text(embed_text(content, dimensions)),
                )
            )
    if shared:
        _generated[seed] = rows
    return rows


def load_slice(task: dict[str, Any]) -> int:
    """COPY one slice of chunks and their vectors; returns the number of rows."""
    import psycopg

    documents = task["documents"]
    rows = generate(task["seed"], len(documents), task["dimensions"], shared=task["shared"])
    chunk_id = task["first_id"]
    with psycopg.connect(task["database_url"]) as conn, conn.cursor() as cursor:
        # The rows are consistent by construction: skip the per-row foreign key triggers.
        cursor.execute("SET session_replication_role = replica")
        with cursor.copy(
            "COPY knowledge_chunk (id, workspace_id, collection_id, document_id, generation, live, "
            "ordinal, text, heading, page, char_start, char_end, token_count, content_hash) "
            "FROM STDIN"
        ) as copy:
            for n, (heading, text, content_hash, _vector) in enumerate(rows):
                document_id, collection_id = documents[n // CHUNKS_PER_DOCUMENT]
                ordinal = n % CHUNKS_PER_DOCUMENT
                start = ordinal * 700  # offsets into the document: plausible, never read here
                copy.write_row(
                    (chunk_id + n, task["workspace_id"], collection_id, document_id, 1, True,
                     ordinal, text, heading, None, start, start + len(text), len(text.split()),
                     content_hash)
                )  # fmt: skip
        with cursor.copy(
            "COPY knowledge_chunkembedding (chunk_id, index_id, collection_id, content_hash, "
            "embedding) FROM STDIN"
        ) as copy:
            for n, (_heading, _text, content_hash, vector) in enumerate(rows):
                collection_id = documents[n // CHUNKS_PER_DOCUMENT][1]
                copy.write_row(
                    (chunk_id + n, task["index_id"], collection_id, content_hash, vector)
                )
    return len(rows)


def create_workspace(n: int, collection_sizes: list[int]) -> tuple[Any, Any, Any, list[Any]]:
    """A user, their workspace, its active index and collections, with READY document rows."""
    from product.accounts.models import User
    from product.accounts.services import create_personal_workspace
    from product.knowledge import services
    from product.knowledge.models import Document

    user = User.objects.create_user(f"bench{n}@example.com", "bench-password-123")
    workspace = create_personal_workspace(user=user)
    index = services.ensure_active_index(workspace)
    collections, documents = [], []
    for c, size in enumerate(collection_sizes):
        collection = services.create_collection(
            workspace=workspace, user=user, name=f"Collection {c}"
        )
        collections.append(collection)
        for d in range(size // CHUNKS_PER_DOCUMENT):
            documents.append(
                Document(
                    workspace=workspace,
                    collection=collection,
                    created_by=user,
                    name=f"doc-{d}.md",
                    kind="markdown",
                    size_bytes=CHUNKS_PER_DOCUMENT * 600,
                    sha256=hashlib.sha256(f"{n}/{c}/{d}".encode()).hexdigest(),
                    file=f"knowledge/bench/{n}/{c}/{d}",
                    status=Document.Status.READY,
                    chunk_count=CHUNKS_PER_DOCUMENT,
                    embedded_count=CHUNKS_PER_DOCUMENT,
                )
            )
    Document.objects.bulk_create(documents, batch_size=1000)
    return user, workspace, index, collections


def tasks_for(
    workspace: Any, index: Any, database_url: str, first_id: int, seed: int, shared: bool = False
) -> list[dict[str, Any]]:
    from product.knowledge.models import Document

    documents = list(
        Document.objects.filter(workspace=workspace)
        .order_by("collection__name", "name")
        .values_list("id", "collection_id")
    )
    tasks = []
    per_task = 100  # documents, so 10,000 chunks a task
    for start in range(0, len(documents), per_task):
        tasks.append(
            {
                "database_url": database_url,
                "workspace_id": workspace.pk,
                "index_id": index.pk,
                "dimensions": index.dimensions,
                "documents": documents[start : start + per_task],
                "first_id": first_id + start * CHUNKS_PER_DOCUMENT,
                "seed": seed * 1000 + start // per_task,
                "shared": shared,
            }
        )
    return tasks


def load(stack: BenchStack, started: float) -> dict[str, Any]:
    from django.db import connection, connections

    from product.knowledge import services

    big = int(CHUNKS * BIG_SHARE)
    small = (CHUNKS - big) // SMALL_COLLECTIONS
    user, workspace, index, collections = create_workspace(0, [big] + [small] * SMALL_COLLECTIONS)
    tasks = tasks_for(workspace, index, stack.database_url, 1, seed=0)
    others = []
    next_id = 1 + CHUNKS
    for n in range(1, OTHER_WORKSPACES + 1):
        _user, other, other_index, _collections = create_workspace(n, [OTHER_CHUNKS])
        others.append(other_index)
        tasks += tasks_for(other, other_index, stack.database_url, next_id, seed=1, shared=True)
        next_id += OTHER_CHUNKS
    # Bulk loading: the indexes go and are built once the rows are in (as CREATE INDEX on a
    # full table would build them), rather than updated row by row.
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX knowledge_chunk_search")
        for each in [index, *others]:
            cursor.execute(f"DROP INDEX knowledge_hnsw_{each.pk.hex}")
    connections.close_all()  # the workers fork: no shared connection
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 2) as pool:
        rows = sum(pool.imap_unordered(load_slice, tasks))
    log(f"copied {rows} chunks and vectors", started)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('knowledge_chunk', 'id'), max(id)) "
            "FROM knowledge_chunk"
        )
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 2")
        cursor.execute("CREATE INDEX knowledge_chunk_search ON knowledge_chunk USING gin (search)")
        log("built the GIN index", started)
        services._create_vector_index(index)  # the product's own DDL, so the bench measures it
        log("built the HNSW index", started)
        cursor.execute("VACUUM ANALYZE knowledge_chunk")
        cursor.execute("VACUUM ANALYZE knowledge_chunkembedding")
        cursor.execute("VACUUM ANALYZE knowledge_document")
    log("analysed", started)
    return {"user": user, "workspace": workspace, "index": index, "collections": collections}


# --- measuring -------------------------------------------------------------------------------


def make_queries(workspace: Any, count: int, seed: int) -> list[tuple[str, int]]:
    """(query, the chunk it came from): 2-4 content words of a random chunk of the workspace."""
    from product.knowledge.models import Chunk

    rng = random.Random(seed)
    ids = list(Chunk.objects.filter(workspace=workspace).values_list("id", flat=True))
    sources = dict(Chunk.objects.filter(pk__in=rng.sample(ids, count)).values_list("id", "text"))
    stop = set(STOP_WORDS)
    queries = []
    for chunk_id, text in sources.items():
        content = [word for word in text.split() if word not in stop]
        queries.append((" ".join(rng.sample(content, rng.randint(2, 4))), chunk_id))
    return queries


@contextmanager
def timed(module: Any, name: str, into: list[float]) -> Iterator[None]:
    """Time every call of module.name (a function retrieval.search calls) into `into`, in ms."""
    original: Callable[..., Any] = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        begun = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into.append((time.perf_counter() - begun) * 1000)

    setattr(module, name, wrapper)
    try:
        yield
    finally:
        setattr(module, name, original)


def backend_cpu_seconds() -> float | None:
    """CPU the Postgres backend of this connection has used, when it runs on this machine."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(data: dict[str, Any], started: float) -> dict[str, Any]:
    from django.db import connection

    from product.devmodel.server import embed_text
    from product.knowledge import retrieval
    from product.knowledge.fields import to_pg_text

    workspace, user, index = data["workspace"], data["user"], data["index"]
    everything = [c.pk for c in data["collections"]]
    queries = make_queries(workspace, WARMUP + SEARCHES, seed=5)

    def search(query: str, collection_ids: list[uuid.UUID]) -> retrieval.SearchResults:
        return retrieval.search(
            workspace=workspace, collection_ids=collection_ids, query=query, k=K, user=user
        )

    for query, _source in queries[:WARMUP]:
        search(query, everything)
    latencies: list[float] = []
    keyword: list[float] = []
    vector: list[float] = []
    embed: list[float] = []
    found = 0
    db_before = backend_cpu_seconds()
    cpu_before = time.process_time()
    with (
        timed(retrieval, "_keyword_leg", keyword),
        timed(retrieval, "_vector_leg", vector),
        timed(retrieval, "_embed_query", embed),
    ):
        for query, source in queries[WARMUP:]:
            begun = time.perf_counter()
            results = search(query, everything)
            latencies.append((time.perf_counter() - begun) * 1000)
            found += source in {passage.chunk_id for passage in results.fused}
    cpu_ms = (time.process_time() - cpu_before) * 1000 / SEARCHES
    db_after = backend_cpu_seconds()
    log(f"{SEARCHES} searches", started)

    # A small collection (5,000 chunks): the vector leg searches it exactly.
    small_latencies: list[float] = []
    small_vector: list[float] = []
    with timed(retrieval, "_vector_leg", small_vector):
        for query, _source in make_queries(workspace, SMALL_SEARCHES, seed=6):
            begun = time.perf_counter()
            search(query, [data["collections"][1].pk])
            small_latencies.append((time.perf_counter() - begun) * 1000)

    # ANN against exact, on the vector leg alone, at the ef_search search() uses.
    total = selected = CHUNKS
    ef_search = retrieval.ef_search_for(10, selected=selected, total=total)
    recalls: list[float] = []
    exact_ms: list[float] = []
    for query, _source in queries[WARMUP : WARMUP + RECALL_QUERIES]:
        vector_q = embed_text(query, index.dimensions)
        begun = time.perf_counter()
        exact = retrieval.pg_exact(index, workspace.pk, everything, vector_q, 10)
        exact_ms.append((time.perf_counter() - begun) * 1000)
        ann = retrieval.pg_ann(index, workspace.pk, everything, vector_q, 10, ef_search=ef_search)
        recalls.append(len({h.chunk_id for h in ann} & {h.chunk_id for h in exact}) / 10)
    log("recall", started)

    with connection.cursor() as cursor:
        text = to_pg_text(embed_text(queries[0][0], index.dimensions))
        cursor.execute(
            "EXPLAIN " + retrieval.ann_sql(index, ef_search=ef_search),
            [text, text, everything, workspace.pk, K],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    result: dict[str, Any] = {
        "bench": "knowledge_search",
        "chunks": CHUNKS,
        "other_workspaces": OTHER_WORKSPACES,
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "keyword_p50_ms": round(statistics.median(keyword), 2),
        "vector_p50_ms": round(statistics.median(vector), 2),
        "embed_p50_ms": round(statistics.median(embed), 2),
        "cpu_ms_per_search": round(cpu_ms, 2),
        "ann_recall_at_10_vs_exact": round(statistics.mean(recalls), 3),
        "ef_search": ef_search,
        "hnsw_used": f"knowledge_hnsw_{index.pk.hex}" in plan,
        "exact_vector_100k_p50_ms": round(statistics.median(exact_ms), 2),
        "small_collection_p50_ms": round(statistics.median(small_latencies), 2),
        "small_collection_vector_p50_ms": round(statistics.median(small_vector), 2),
        "source_in_top8": round(found / SEARCHES, 3),
    }
    if db_before is not None and db_after is not None:
        result["db_cpu_ms_per_search"] = round((db_after - db_before) * 1000 / SEARCHES, 2)
    return result


def has_pgvector(database_url: str) -> bool:
    import psycopg

    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5) as conn:
        row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
    return row is not None


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres") or not has_pgvector(database_url):
        reason = "needs Postgres with pgvector (DATABASE_URL=postgres://...; .ci/pgvector runs one)"
        print(f"knowledge_search: {reason}; not run.", file=sys.stderr)
        print_result({"bench": "knowledge_search", "skipped": reason})
        return 0
    started = time.monotonic()
    redis_db = int(os.environ.get("BENCH_REDIS_DB", "10"))
    with BenchStack(redis_db=redis_db, extra_env={"LLM_EMBEDDING_MODEL": EMBEDDING_MODEL}) as stack:
        stack.start_devmodel(ttft_ms=0)
        stack.setup_django()
        data = load(stack, started)
        result = measure(data, started)
    result["run_s"] = round(time.monotonic() - started, 1)
    print_result(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
