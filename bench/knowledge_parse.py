"""Throughput of the knowledge pipeline's first stages: parsing a text PDF, parsing HTML pages,
and chunking, all in this process (no stack, no database).

Made in memory first (not timed): a 300-page text PDF (fpdf2, an outline entry every 10 pages,
~2,500 characters a page) and 300 HTML article pages (~8 KB each: nav, script, headings,
paragraphs, a list, a table). Each stage runs BENCH_KNOWLEDGE_ROUNDS times (default 3) and the
median counts; CPU time is `time.process_time()`. The tokenizer is loaded before timing.
Goal: parsing text PDFs at >= 300 pages/s.

Prints one JSON line last:
{"bench":"knowledge_parse","pdf_pages_per_s":...,"html_pages_per_s":...,"chunk_pages_per_s":...,
 "cpu_ms_per_pdf_page":...,...}
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, print_result  # noqa: E402

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "product.settings")

PAGES = int(os.environ.get("BENCH_KNOWLEDGE_PAGES", "300"))
ROUNDS = int(os.environ.get("BENCH_KNOWLEDGE_ROUNDS", "3"))
WORDS = [
    "the",
    "system",
    "stores",
    "each",
    "document",
    "as",
    "blocks",
    "and",
    "chunks",
    "that",
    "carry",
    "their",
    "page",
    "and",
    "heading",
    "so",
    "a",
    "citation",
    "can",
    "point",
    "back",
    "to",
    "the",
    "source",
    "while",
    "retrieval",
    "ranks",
    "passages",
    "by",
    "keyword",
    "and",
    "vector",
    "similarity",
    "before",
    "the",
    "model",
    "writes",
    "an",
    "answer",
    "grounded",
    "in",
    "numbered",
    "sources",
]


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 22))
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def make_pdf(rng: random.Random) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Benchmark handbook")
    pdf.set_font("Helvetica", size=10)
    for page in range(PAGES):
        pdf.add_page()
        if page % 10 == 0:
            name = f"Chapter {page // 10 + 1}"
            pdf.start_section(name, level=0)
            pdf.set_font("Helvetica", size=14)
            pdf.cell(0, 8, name, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=10)
        for _ in range(4):
            pdf.multi_cell(0, 5, paragraph(rng, 4))
            pdf.ln(3)
    return bytes(pdf.output())


def make_html_page(rng: random.Random, number: int) -> bytes:
    sections = []
    for section in range(3):
        items = "".join(f"<li>{sentence(rng)}</li>" for _ in range(3))
        rows = "".join(
            f"<tr><td>row {row}</td><td>{rng.randint(1, 999)}</td><td>{sentence(rng)}</td></tr>"
            for row in range(3)
        )
        sections.append(
            f"<h2>Section {section}</h2>"
            + "".join(f"<p>{paragraph(rng, 3)}</p>" for _ in range(3))
            + f"<ul>{items}</ul><table><tr><th>Name</th><th>Count</th><th>Note</th></tr>{rows}</table>"
        )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Article {number}</title><style>body {{ font: 16px sans-serif }}</style>"
        "<script>window.analytics = function () { return 1 }</script></head><body>"
        "<nav><a href='/'>Home</a> <a href='/docs'>Docs</a> <a href='/blog'>Blog</a></nav>"
        f"<main><article><h1>Article {number}</h1>{''.join(sections)}</article></main>"
        "<footer><p>Copyright</p></footer></body></html>"
    )
    return page.encode()


def median_run(run: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds, last result), medians over ROUNDS runs."""
    walls, cpus, result = [], [], None
    for _ in range(ROUNDS):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    import django

    django.setup()
    from product.knowledge.chunking import chunk
    from product.knowledge.parsing import Limits, parse
    from product.llm.tokens import count_tokens

    rng = random.Random(10)
    pdf = make_pdf(rng)
    html_pages = [make_html_page(rng, number) for number in range(PAGES)]
    limits = Limits()
    count_tokens("warm the tokenizer up")

    pdf_wall, pdf_cpu, parsed_pdf = median_run(
        lambda: parse(pdf, filename="handbook.pdf", limits=limits)
    )
    html_wall, html_cpu, parsed_html = median_run(
        lambda: [parse(page, filename="article.html", limits=limits) for page in html_pages]
    )
    chunk_wall, chunk_cpu, chunks = median_run(lambda: chunk(parsed_pdf))
    html_chunk_wall, _, html_chunks = median_run(
        lambda: [chunk(document) for document in parsed_html]
    )

    print(
        f"pdf: {len(pdf) / 1e6:.1f} MB, {parsed_pdf.page_count} pages, "
        f"{len(parsed_pdf.blocks)} blocks, {len(chunks)} chunks"
    )
    print(
        f"html: {sum(map(len, html_pages)) / 1e6:.1f} MB, {len(parsed_html)} pages, "
        f"{sum(len(d.blocks) for d in parsed_html)} blocks, "
        f"{sum(map(len, html_chunks))} chunks"
    )
    print_result(
        {
            "bench": "knowledge_parse",
            "pdf_pages_per_s": round(PAGES / pdf_wall, 1),
            "html_pages_per_s": round(PAGES / html_wall, 1),
            "chunk_pages_per_s": round(PAGES / chunk_wall, 1),
            "html_chunk_pages_per_s": round(PAGES / html_chunk_wall, 1),
            "cpu_ms_per_pdf_page": round(pdf_cpu * 1000 / PAGES, 3),
            "cpu_ms_per_html_page": round(html_cpu * 1000 / PAGES, 3),
            "cpu_ms_per_chunked_page": round(chunk_cpu * 1000 / PAGES, 3),
            "pages": PAGES,
            "pdf_chunks": len(chunks),
            "load_avg_1m": round(os.getloadavg()[0], 2),
        }
    )


if __name__ == "__main__":
    main()
