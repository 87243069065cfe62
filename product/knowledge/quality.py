"""Retrieval quality on a BEIR set, measured through the real pipeline (`manage.py knowledge
evaluate`, bench/knowledge_quality.py).

A scratch user, workspace and collection are made; every corpus document is uploaded with
`services.upload_document` as a text file named after its id, and its ingestion job is run here,
in this process, with `product.jobs.services.run_job` (no worker needed; one that is running may
take some of the jobs, and the run waits for those). Embeddings go through the gateway; when it
points at the dev model server and none answers there, one is started in a thread of this
process. Then every judged query goes through `retrieval.search`, and the keyword leg, the vector
leg and the fused list are scored as document rankings: a document ranks where its best passage
does. The scratch rows go at the end unless `keep`.

The per-user requests-per-minute limit is lifted for the run: it is fairness between people, and
this is one operator's batch of thousands of embedding calls. The workspace budget still applies.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings

from product.accounts.models import User, Workspace
from product.accounts.services import create_workspace
from product.core.errors import InvalidInput, KeelError
from product.devmodel.background import serve_in_thread
from product.jobs import services as job_services
from product.knowledge import evaluation, retrieval, services
from product.knowledge.models import Chunk, Collection, Document

FEATURE = "knowledge.evaluate"
# Legs hold at most `depth` passages; a document with several passages among them takes several
# places, so the search asks for this many passages per document wanted.
DEFAULT_DEPTH_FACTOR = 3
WAIT_FOR_OTHERS_S = 600.0

Progress = Callable[[str], None]


# --- the BEIR folder --------------------------------------------------------------------------


@dataclass(frozen=True)
class BeirSet:
    corpus: dict[str, tuple[str, str]]  # document id -> (title, text)
    queries: dict[str, str]  # query id -> text
    qrels: dict[str, dict[str, int]]  # query id -> document id -> grade


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise InvalidInput(f"{path}, line {number}: not JSON ({exc}).") from exc
            if not isinstance(row, dict) or "_id" not in row:
                raise InvalidInput(f"{path}, line {number}: an object with an _id is expected.")
            yield number, row


def load_beir(folder: Path, *, split: str = "test") -> BeirSet:
    """Read corpus.jsonl, queries.jsonl and qrels/<split>.tsv; bad files say where and why."""
    paths = {
        "corpus": folder / "corpus.jsonl",
        "queries": folder / "queries.jsonl",
        "qrels": folder / "qrels" / f"{split}.tsv",
    }
    for path in paths.values():
        if not path.is_file():
            raise InvalidInput(
                f"{path} is missing: a BEIR folder holds corpus.jsonl, queries.jsonl and "
                f"qrels/{split}.tsv."
            )
    corpus = {
        str(row["_id"]): (str(row.get("title") or ""), str(row.get("text") or ""))
        for _, row in _jsonl(paths["corpus"])
    }
    queries = {str(row["_id"]): str(row.get("text") or "") for _, row in _jsonl(paths["queries"])}
    qrels: dict[str, dict[str, int]] = {}
    with paths["qrels"].open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            cells = line.rstrip("\n").split("\t")
            if number == 1 and cells[:2] == ["query-id", "corpus-id"]:
                continue
            if not line.strip():
                continue
            if len(cells) < 3:
                raise InvalidInput(
                    f"{paths['qrels']}, line {number}: expected query-id, corpus-id and score "
                    "separated by tabs."
                )
            try:
                grade = int(float(cells[2]))
            except ValueError as exc:
                raise InvalidInput(
                    f"{paths['qrels']}, line {number}: the score {cells[2]!r} is not a number."
                ) from exc
            qrels.setdefault(cells[0], {})[cells[1]] = grade
    if not corpus:
        raise InvalidInput(f"{paths['corpus']} has no documents.")
    return BeirSet(corpus=corpus, queries=queries, qrels=qrels)


def document_content(title: str, text: str) -> str:
    return f"{title}\n\n{text}" if title else text


def document_filename(document_id: str) -> str:
    # The display name keeps the id readable; path separators would be cut by safe_filename.
    return document_id.replace("/", "_").replace("\\", "_") + ".txt"


# --- the dev model server -----------------------------------------------------------------------


def _answers(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url.rstrip('/')}/models", timeout=2):  # noqa: S310 (the configured model server)
            return True
    except OSError:
        return False


@contextmanager
def model_server(progress: Progress) -> Iterator[None]:
    """The dev model server, started in this process when the gateway points at it and it is
    not running; any other model server is used as it is (a real provider charges for it)."""
    base_url = settings.LLM_BASE_URL.rstrip("/")
    dev_url = f"http://{settings.DEVMODEL_HOST}:{settings.DEVMODEL_PORT}/v1"
    if base_url != dev_url or settings.LLM_API_KEY or _answers(dev_url):
        charged = " (a real provider: every embedding is charged)" if settings.LLM_API_KEY else ""
        progress(f"embeddings from {base_url}{charged}")
        yield
        return
    with serve_in_thread(host=settings.DEVMODEL_HOST, port=settings.DEVMODEL_PORT):
        progress(f"embeddings from a dev model server started in this process at {dev_url}")
        yield


# --- the run --------------------------------------------------------------------------------------


@dataclass
class Timing:
    ingest_s: float = 0.0
    ingest_cpu_s: float = 0.0
    search_s: float = 0.0
    search_cpu_s: float = 0.0
    search_ms: list[float] = field(default_factory=list)

    def as_dict(self, *, documents: int, queries: int) -> dict[str, float]:
        ordered = sorted(self.search_ms) or [0.0]
        return {
            "ingest_s": round(self.ingest_s, 2),
            "ingest_docs_per_s": round(documents / self.ingest_s, 1) if self.ingest_s else 0.0,
            "ingest_cpu_ms_per_doc": round(1000 * self.ingest_cpu_s / max(1, documents), 2),
            "search_s": round(self.search_s, 2),
            "search_ms_p50": round(statistics.median(ordered), 1),
            "search_ms_p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
            "cpu_ms_per_query": round(1000 * self.search_cpu_s / max(1, queries), 2),
        }


@dataclass(frozen=True)
class Report:
    k: int
    documents: int
    ready: int
    failed: dict[str, str]  # document id -> why its ingestion failed
    chunks: int
    queries: int
    unjudged: int
    failed_queries: dict[str, str]
    scores: dict[str, evaluation.Scores]  # "keyword", "vector", "fused"
    timing: dict[str, float]
    index_model: str | None
    weights: dict[str, float]
    workspace_id: uuid.UUID | None  # kept with --keep
    # Fused scores under other (keyword, vector) weights, when asked: a tuning aid.
    sweep: dict[tuple[float, float], evaluation.Scores] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "docs": self.documents,
            "ready": self.ready,
            "failed_docs": len(self.failed),
            "chunks": self.chunks,
            "queries": self.queries,
            **{leg: scores.as_dict(self.k) for leg, scores in self.scores.items()},
            **self.timing,
            "index_model": self.index_model,
            "weights": self.weights,
            **(
                {
                    "sweep": {
                        f"{keyword}:{vector}": scores.as_dict(self.k)
                        for (keyword, vector), scores in self.sweep.items()
                    }
                }
                if self.sweep
                else {}
            ),
        }


def _scratch(workspace_name: str) -> tuple[User, Workspace, Collection]:
    suffix = uuid.uuid4().hex[:12]
    # Inactive and without a usable password: nobody signs in as it.
    user = User.objects.create_user(
        f"knowledge-evaluation-{suffix}@example.invalid", None, is_active=False
    )
    workspace = create_workspace(owner=user, name=f"{workspace_name} {suffix}")
    collection = services.create_collection(
        workspace=workspace, user=user, name="BEIR corpus", description="Scratch: evaluation"
    )
    return user, workspace, collection


def delete_scratch(user: User, workspace: Workspace) -> None:
    """Set-based deletes of the knowledge rows, the per-index HNSW indexes, then the rest."""
    for collection in Collection.objects.filter(workspace=workspace):
        services.delete_collection(collection=collection)
    with transaction.atomic():
        workspace.delete()  # its HNSW indexes go with it (services.drop_vector_indexes)
        user.delete()


def _ingest(
    beir: BeirSet, user: User, collection: Collection, progress: Progress
) -> dict[uuid.UUID, str]:
    """Upload and ingest every corpus document; returns Document id -> corpus id."""
    by_document: dict[uuid.UUID, str] = {}
    total = len(beir.corpus)
    for number, (document_id, (title, text)) in enumerate(beir.corpus.items(), start=1):
        content = document_content(title, text).encode()
        try:
            upload = services.upload_document(
                collection=collection,
                user=user,
                filename=document_filename(document_id),
                data=content,
            )
        except KeelError:
            continue  # empty or over the limits: counted as failed below, by its absence
        by_document[upload.document.pk] = document_id
        if upload.document.job is not None:
            job_services.run_job(upload.document.job.pk)
        if number % 250 == 0 or number == total:
            progress(f"ingested {number}/{total} documents")
    return by_document


def _wait_for_others(collection: Collection, progress: Progress) -> None:
    """Jobs a running worker claimed before this process could: wait for them to end."""
    deadline = time.monotonic() + WAIT_FOR_OTHERS_S
    while True:
        busy = Document.objects.filter(
            collection=collection, status__in=Document.IN_PROGRESS
        ).count()
        if not busy:
            return
        if time.monotonic() > deadline:
            progress(f"{busy} documents still in progress; evaluating without them")
            return
        progress(f"waiting for {busy} documents a worker is ingesting")
        time.sleep(2)


def _search_all(
    beir: BeirSet,
    judged: list[str],
    workspace: Workspace,
    collection: Collection,
    by_document: dict[uuid.UUID, str],
    *,
    k: int,
    depth: int,
    timing: Timing,
) -> tuple[dict[str, dict[str, list[str]]], dict[str, str], str | None]:
    """Each leg's top-k documents per query, the queries that failed, and the index's model."""
    runs: dict[str, dict[str, list[str]]] = {"keyword": {}, "vector": {}, "fused": {}}
    failed: dict[str, str] = {}
    index_model: str | None = None
    started, cpu = time.perf_counter(), time.process_time()
    for query_id in judged:
        one = time.perf_counter()
        try:
            results = retrieval.search(
                workspace=workspace,
                collection_ids=[collection.pk],
                query=beir.queries[query_id],
                k=depth,
                user=None,
                feature=FEATURE,
            )
        except KeelError as exc:
            failed[query_id] = exc.message
            continue
        finally:
            timing.search_ms.append(1000 * (time.perf_counter() - one))
        index_model = results.index_model
        for leg, passages in (
            ("keyword", results.keyword),
            ("vector", results.vector),
            ("fused", results.fused),
        ):
            ranked = evaluation.rank_documents(
                by_document.get(passage.document_id, "") for passage in passages
            )
            runs[leg][query_id] = ranked[:k]
    timing.search_s = time.perf_counter() - started
    timing.search_cpu_s = time.process_time() - cpu
    return runs, failed, index_model


def _failed_documents(
    beir: BeirSet, collection: Collection, by_document: dict[uuid.UUID, str]
) -> dict[str, str]:
    rows = (
        Document.objects.filter(collection=collection)
        .exclude(status=Document.Status.READY)
        .values_list("pk", "name", "status", "error_message")
    )
    failed = {by_document.get(pk, name): message or status for pk, name, status, message in rows}
    not_uploaded = beir.corpus.keys() - set(by_document.values())
    return failed | dict.fromkeys(not_uploaded, "not accepted for upload")


def evaluate(
    folder: Path,
    *,
    k: int = 10,
    depth: int | None = None,
    workspace_name: str = "Knowledge evaluation",
    keep: bool = False,
    sweep: list[tuple[float, float]] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Ingest the BEIR corpus into a scratch workspace, search every judged query, score.

    `sweep`: (keyword, vector) fusion weights to score the fused list under as well.
    """
    say: Progress = progress or (lambda message: None)
    if k < 1:
        raise InvalidInput("k must be at least 1.")
    depth = depth or k * DEFAULT_DEPTH_FACTOR
    beir = load_beir(folder)
    judged = [query_id for query_id in beir.qrels if query_id in beir.queries]
    say(f"{len(beir.corpus)} documents, {len(judged)} judged queries from {folder}")
    timing = Timing()
    with model_server(say), override_settings(LLM_USER_REQUESTS_PER_MINUTE=0):
        user, workspace, collection = _scratch(workspace_name)
        try:
            started, cpu = time.perf_counter(), time.process_time()
            by_document = _ingest(beir, user, collection, say)
            _wait_for_others(collection, say)
            timing.ingest_s = time.perf_counter() - started
            timing.ingest_cpu_s = time.process_time() - cpu
            say(f"searching {len(judged)} queries")
            runs, failed_queries, index_model = _search_all(
                beir, judged, workspace, collection, by_document, k=k, depth=depth, timing=timing
            )
            qrels = {query_id: beir.qrels[query_id] for query_id in judged}
            scores = {leg: evaluation.score_run(run, qrels, k=k) for leg, run in runs.items()}
            swept: dict[tuple[float, float], evaluation.Scores] = {}
            for keyword_weight, vector_weight in sweep or []:
                say(f"fusion weights keyword {keyword_weight} / vector {vector_weight}")
                with override_settings(
                    KNOWLEDGE_KEYWORD_WEIGHT=keyword_weight, KNOWLEDGE_VECTOR_WEIGHT=vector_weight
                ):
                    other, _, _ = _search_all(
                        beir,
                        judged,
                        workspace,
                        collection,
                        by_document,
                        k=k,
                        depth=depth,
                        timing=Timing(),
                    )
                swept[(keyword_weight, vector_weight)] = evaluation.score_run(
                    other["fused"], qrels, k=k
                )
            return Report(
                k=k,
                documents=len(beir.corpus),
                ready=Document.objects.filter(
                    collection=collection, status=Document.Status.READY
                ).count(),
                failed=_failed_documents(beir, collection, by_document),
                chunks=Chunk.objects.filter(collection=collection, live=True).count(),
                queries=len(judged),
                unjudged=scores["fused"].unjudged,
                failed_queries=failed_queries,
                scores=scores,
                timing=timing.as_dict(documents=len(beir.corpus), queries=len(judged)),
                index_model=index_model,
                weights={
                    "keyword": float(settings.KNOWLEDGE_KEYWORD_WEIGHT),
                    "vector": float(settings.KNOWLEDGE_VECTOR_WEIGHT),
                },
                workspace_id=workspace.pk if keep else None,
                sweep=swept,
            )
        finally:
            if not keep:
                delete_scratch(user, workspace)
