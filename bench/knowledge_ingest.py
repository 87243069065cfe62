"""Ingestion throughput, per stage and end to end, on generated text PDFs and HTML documents.

Stages, each timed alone over the same documents:
- parse: `parsing.parse` on the bytes;
- chunk: `chunking.chunk` on the parsed documents;
- embed: `gateway.embed` in KNOWLEDGE_EMBED_BATCH batches (the dev model server in a thread of this
  process, so its CPU is counted here too);
- index: the pipeline's own writes of chunk rows and vectors and the swap to live
  (services._write_chunks, _save_vectors, _go_live) with the vectors already computed;
- end to end: `services.upload_document` + the job run in this process with `run_job`, into a
  workspace of its own (a fresh index: no vector is reused).

A "page" of HTML is the text of one PDF page (each generated page is a heading and the same
paragraphs in both kinds), so the rates of the two kinds compare. Runs on the embedded default
(SQLite) and, when DATABASE_URL names a Postgres that answers, on Postgres too, each in its own
process. Every rate has its CPU cost beside it (process CPU per page, all threads).

Prints one JSON line per backend, then one last:
{"bench":"knowledge_ingest","pages":..,"sqlite":{"parse_pdf_pages_per_s":..,
"parse_pdf_cpu_ms_per_page":..,...,"end_to_end_pages_per_s":..},"postgres":{...}|null}
(goals: parse >= 300 text-PDF pages/s; end to end >= 100 pages/s with the dev embeddings).
Sizes: BENCH_KI_DOCS (documents per kind, 20), BENCH_KI_PAGES (pages per document, 20).
BENCH_KI_PROFILE=1 prints the end-to-end run's hottest functions (cProfile) to stderr.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, BenchStack, print_result  # noqa: E402

DOCS = int(os.environ.get("BENCH_KI_DOCS", "20"))
PAGES = int(os.environ.get("BENCH_KI_PAGES", "20"))
KINDS = os.environ.get("BENCH_KI_KINDS", "pdf,html").split(",")
PROFILE = os.environ.get("BENCH_KI_PROFILE") == "1"
PARAGRAPHS_PER_PAGE = 4
WORDS_PER_PARAGRAPH = 85  # ~340 words a page: a page of a report set in 11 pt


# --- documents ------------------------------------------------------------------------------


# Common English words: a page of them costs what a page of prose costs in tokens (~1.2 a word).
WORDS_TEXT = (
    "the of and to in is that for it as was with be by on not he this are or his from at which "
    "but have an they you were her she there been one all we their has would when if so no "
    "will more can out up about who said them into some could time than first its two may "
    "then do any like other only new these over also such after most made well work system "
    "data file process request server client user value table index query model answer "
    "document page section report network memory thread queue worker cache record field "
    "change order number result error message option support version release update state "
    "design service account market policy budget review plan team project country city "
    "water energy health school family company history money power light music language "
    "research science nature market growth price cost risk level area group program method"
)
WORDS = WORDS_TEXT.split()


def pages_of(rng: random.Random, words: list[str], doc: int) -> list[tuple[str, list[str]]]:
    """(heading, paragraphs) per page; every document's text is its own (no reused vector)."""
    pages = []
    for page in range(PAGES):
        paragraphs = []
        for _ in range(PARAGRAPHS_PER_PAGE):
            sentence_words = rng.choices(words, k=WORDS_PER_PARAGRAPH)
            text = " ".join(sentence_words)
            paragraphs.append(f"Document {doc} page {page + 1}: {text.capitalize()}.")
        pages.append((f"Section {page + 1} of report {doc}", paragraphs))
    return pages


def pdf_bytes(pages: list[tuple[str, list[str]]]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    for heading, paragraphs in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 5, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    return bytes(pdf.output())


def html_bytes(pages: list[tuple[str, list[str]]], doc: int) -> bytes:
    sections = "".join(
        f"<section><h2>{heading}</h2>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</section>"
        for heading, paragraphs in pages
    )
    return (
        f"<!doctype html><html><head><title>Report {doc}</title></head><body><main>"
        f"<h1>Report {doc}</h1>{sections}</main></body></html>"
    ).encode()


def text_bytes(pages: list[tuple[str, list[str]]]) -> bytes:
    return "\n\n".join(f"{h}\n\n" + "\n\n".join(ps) for h, ps in pages).encode()


def documents() -> dict[str, list[tuple[str, bytes]]]:
    """(filename, bytes) per kind, the same text in each kind; deterministic."""
    rng = random.Random(11)
    words = WORDS
    texts = [pages_of(rng, words, doc) for doc in range(DOCS)]
    build: dict[str, Callable[[int, list[tuple[str, list[str]]]], tuple[str, bytes]]] = {
        "pdf": lambda doc, pages: (f"report-{doc}.pdf", pdf_bytes(pages)),
        "html": lambda doc, pages: (f"report-{doc}.html", html_bytes(pages, doc)),
        "text": lambda doc, pages: (f"report-{doc}.txt", text_bytes(pages)),
    }
    return {kind: [build[kind](doc, pages) for doc, pages in enumerate(texts)] for kind in KINDS}


# --- timing ---------------------------------------------------------------------------------


class Rates:
    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    @contextmanager
    def measure(self, name: str, pages: int) -> Iterator[None]:
        started, cpu = time.perf_counter(), time.process_time()
        yield
        wall, used = time.perf_counter() - started, time.process_time() - cpu
        self.values[f"{name}_pages_per_s"] = round(pages / wall, 1)
        self.values[f"{name}_cpu_ms_per_page"] = round(1000 * used / pages, 2)


@contextmanager
def profiled(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        print(out.getvalue(), file=sys.stderr)


# --- one backend ----------------------------------------------------------------------------


def run_backend() -> dict[str, Any]:
    """In a process of its own: the stack's database is the one DATABASE_URL names (or SQLite)."""
    from django.db import connection
    from django.db.models import Count

    from product.accounts.models import User
    from product.accounts.services import create_personal_workspace
    from product.devmodel.background import serve_in_thread
    from product.jobs import services as job_services
    from product.knowledge import chunking, parsing, services
    from product.knowledge.models import Chunk, Document, EmbeddingIndex
    from product.llm import gateway

    docs = documents()
    total_pages = DOCS * PAGES
    rates = Rates()
    with serve_in_thread() as base_url:
        from django.conf import settings

        settings.LLM_BASE_URL = base_url
        user = User.objects.create_user("ingest@example.com", "bench-password-123")
        parsed: dict[str, list[Any]] = {}
        drafts: dict[str, list[list[chunking.ChunkDraft]]] = {}
        for kind, files in docs.items():
            # Warm-up, not timed: imports, pdfium's and lexbor's first allocations.
            chunking.chunk(parsing.parse(files[0][1], filename=files[0][0]))
            with rates.measure(f"parse_{kind}", total_pages):
                parsed[kind] = [parsing.parse(data, filename=name) for name, data in files]
            with rates.measure(f"chunk_{kind}", total_pages):
                drafts[kind] = [
                    chunking.chunk(
                        one,
                        max_tokens=int(settings.KNOWLEDGE_CHUNK_TOKENS),
                        overlap_tokens=int(settings.KNOWLEDGE_CHUNK_OVERLAP_TOKENS),
                    )
                    for one in parsed[kind]
                ]
        kind = KINDS[0]  # embedding and the writes do not depend on the file type
        chunks = [draft for per_doc in drafts[kind] for draft in per_doc]
        workspace = create_personal_workspace(user=user)
        index = services.ensure_active_index(workspace)
        batch = max(1, int(settings.KNOWLEDGE_EMBED_BATCH))
        vectors: dict[str, list[float]] = {}
        gateway.embed(  # warm-up, not timed: the SDK client and the first connection
            workspace=workspace,
            user=None,
            feature="bench.ingest",
            texts=["warm-up"],
            model=index.model,
            dimensions=index.dimensions,
        )
        with rates.measure("embed", total_pages):
            for start in range(0, len(chunks), batch):
                part = chunks[start : start + batch]
                embedded = gateway.embed(
                    workspace=workspace,
                    user=None,
                    feature="bench.ingest",
                    texts=[services.embedding_input(d.heading, d.text) for d in part],
                    model=index.model,
                    dimensions=index.dimensions,
                )
                vectors |= {d.content_hash: v for d, v in zip(part, embedded, strict=True)}
        collection = services.create_collection(workspace=workspace, user=user, name="Index")
        with rates.measure("index", total_pages):
            for number, per_doc in enumerate(drafts[kind]):
                document = Document.objects.create(
                    workspace=workspace,
                    collection=collection,
                    created_by=user,
                    name=f"indexed-{number}",
                    kind=kind,
                    sha256=f"{number:064d}",
                    status=Document.Status.INDEXING,
                    chunk_count=len(per_doc),
                )
                services._write_chunks(document, per_doc)
                by_hash: dict[str, list[Any]] = {}
                for chunk_id, content_hash in Chunk.objects.filter(document=document).values_list(
                    "id", "content_hash"
                ):
                    by_hash.setdefault(content_hash, []).append((chunk_id, collection.pk))
                services._save_vectors(index, by_hash, {h: vectors[h] for h in by_hash})
                if not services._go_live(document):
                    raise RuntimeError("the indexed document did not go live")
        # End to end: a workspace (so an index) of its own, every kind, through services + run_job.
        uploads = services.create_collection(
            workspace=_another_workspace(user), user=user, name="Uploads"
        )
        all_files = [(name, data) for files in docs.values() for name, data in files]
        with profiled(PROFILE), rates.measure("end_to_end", total_pages * len(docs)):
            for name, data in all_files:
                upload = services.upload_document(
                    collection=uploads, user=user, filename=name, data=data
                )
                assert upload.document.job is not None
                job_services.run_job(upload.document.job.pk)
        states = dict(
            Document.objects.filter(collection=uploads)
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        )
        if states.get("ready") != len(all_files):
            failed = Document.objects.filter(collection=uploads).exclude(status="ready")
            raise RuntimeError(
                f"not every document became ready: {states}; "
                f"{list(failed.values_list('name', 'error_message')[:3])}"
            )
        assert EmbeddingIndex.objects.count() == 2
    return {
        "backend": connection.vendor,
        "pages": total_pages,
        "chunks_per_page": round(len(chunks) / total_pages, 2),
        **rates.values,
    }


def _another_workspace(user: Any) -> Any:
    from product.accounts.services import create_workspace

    return create_workspace(owner=user, name="End to end")


def child() -> None:
    with BenchStack(
        redis_db=int(os.environ.get("BENCH_REDIS_DB", "10")),
        extra_env={"LLM_USER_REQUESTS_PER_MINUTE": "0"},
    ) as stack:
        stack.setup_django()
        result = run_backend()
    print_result({"bench": "knowledge_ingest", **result})


def _postgres_answers(url: str) -> bool:
    if not url.startswith("postgres"):
        return False
    try:
        import psycopg

        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3):
            return True
    except Exception:
        return False


def main() -> None:
    if "--child" in sys.argv:
        child()
        return
    results: dict[str, Any] = {"sqlite": None, "postgres": None}
    database_url = os.environ.get("DATABASE_URL", "")
    runs = {"sqlite": ""}
    if _postgres_answers(database_url):
        runs["postgres"] = database_url
    for backend, url in runs.items():
        env = {**os.environ, "DATABASE_URL": url}
        done = subprocess.run(
            [sys.executable, __file__, "--child"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        line = done.stdout.strip().splitlines()[-1]
        print(line, flush=True)
        result = json.loads(line)
        result.pop("bench")
        results[backend] = result
    print_result({"bench": "knowledge_ingest", "pages": DOCS * PAGES * len(KINDS), **results})


if __name__ == "__main__":
    main()
