"""A retrieval test set built offline from Debian's `python3.11-doc`: the library reference's
sections as documents, their headings as queries.

    python bench/knowledge_corpus.py [--out DIR] [--docs 2000] [--queries 300] [--seed 7]

(prints one JSON line last with the folder's path, like every bench/*.py).

Downloads the package with `apt-get download` (once, into var/bench/), extracts it with
`dpkg-deb -x`, and reads every `<section>` of `library/*.html` with selectolax. A section is one
document: its own text (paragraphs, code, definition lists, tables; not its subsections, which
are documents of their own) with its heading REMOVED. The heading is the query, and that section
its one relevant document. Headings that do not say what a section is about ("Examples",
"Notes", anything several sections share, anything under two words) are not queries; their
sections stay in the corpus as distractors.

The sample is deterministic: the same package version, sizes and seed give the same files (the
folder's meta.json records them, and a folder that matches is reused as it is). Writes a BEIR
folder: corpus.jsonl (_id, title, text), queries.jsonl (_id, text), qrels/test.tsv, and
sources.tsv (which section each opaque document id is).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
PACKAGE = "python3.11-doc"
LIBRARY = Path("usr/share/doc/python3.11/html/library")

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Elements whose text is one block (a paragraph of the document); anything else is walked into.
LEAF_BLOCKS = {"p", "pre", "dt", "caption", "blockquote", *HEADINGS}
SKIPPED = {"script", "style", "nav", "footer"}
# Headings that name a kind of section rather than its subject: never queries.
GENERIC = {
    "api",
    "attributes",
    "background",
    "basic usage",
    "classes",
    "constants",
    "data",
    "details",
    "example",
    "examples",
    "exceptions",
    "functions",
    "introduction",
    "methods",
    "module contents",
    "note",
    "notes",
    "options",
    "overview",
    "reference",
    "see also",
    "summary",
    "tutorial",
    "usage",
}
# Words that say nothing about a subject: a heading made only of these ("Other methods",
# "Simple example", "More examples") is not a query either.
VAGUE_WORDS = {
    "a", "additional", "advanced", "an", "and", "api", "basic", "class", "classes", "common",
    "constants", "data", "details", "example", "examples", "function", "functions", "further",
    "general", "in", "interface", "method", "methods", "miscellaneous", "misc", "module", "more",
    "note", "notes", "object", "objects", "of", "option", "options", "other", "overview",
    "reference", "simple", "some", "the", "to", "types", "usage", "use", "using", "with",
}  # fmt: skip
MIN_QUERY_WORDS = 2
MIN_DOCUMENT_WORDS = 20
# Bumped when the files' shape changes, so that a cached folder of the old shape is rebuilt.
FORMAT = 2


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    text: str


def normalise(text: str) -> str:
    return " ".join(text.replace("¶", " ").split())


# --- the package ------------------------------------------------------------------------------


def fetch_package(cache: Path = CACHE) -> Path:
    """The .deb in the cache, downloaded by apt-get when it is not there yet."""
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(f"{PACKAGE}_*.deb"))
    if found:
        return found[-1]
    done = _apt_download(cache)
    if done.returncode != 0 and os.geteuid() == 0:
        # A fresh machine has no package lists yet: fetch them once, then try again.
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=False)
        done = _apt_download(cache)
    found = sorted(cache.glob(f"{PACKAGE}_*.deb"))
    if done.returncode != 0 or not found:
        raise SystemExit(
            f"apt-get download {PACKAGE} failed ({done.stderr.strip()[-300:]}); on Debian run "
            f"`apt-get update` first, or put {PACKAGE}_*.deb in {cache}."
        )
    return found[-1]


def _apt_download(cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", "download", PACKAGE], cwd=cache, capture_output=True, text=True, check=False
    )


def package_version(deb: Path) -> str:
    return deb.name.split("_")[1]


def extract(deb: Path) -> Path:
    """The library reference's HTML folder, extracted once beside the .deb."""
    target = deb.parent / deb.name.removesuffix(".deb")
    library = target / LIBRARY
    if not library.is_dir():
        subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
    if not library.is_dir():
        raise SystemExit(f"{deb.name} has no {LIBRARY}")
    return library


# --- sections ---------------------------------------------------------------------------------


def _blocks(node: Any) -> list[str]:
    """The node's text as blocks, leaving out nested sections (documents of their own)."""
    out: list[str] = []
    child = node.child
    while child is not None:
        tag = child.tag
        if tag == "-text":
            text = normalise(child.text(deep=False))
            if text:
                out.append(text)
        elif tag in SKIPPED or tag == "section" or tag.startswith("-"):
            pass  # comments, scripts, and subsections
        elif tag == "tr":
            cells = [normalise(cell.text(deep=True)) for cell in child.css("th, td")]
            row = " | ".join(cell for cell in cells if cell)
            if row:
                out.append(row)
        elif tag in LEAF_BLOCKS:
            text = normalise(child.text(deep=True))
            if text:
                out.append(text)
        else:
            out.extend(_blocks(child))
        child = child.next
    return out


def page_sections(html: str, page: str) -> list[Section]:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for link in tree.css("a.headerlink"):
        link.decompose()
    body = tree.css_first("div.body") or tree.body
    if body is None:
        return []
    sections = []
    for number, node in enumerate(body.css("section")):
        heading = next(
            (child for child in node.iter() if child.tag in HEADINGS),
            None,
        )
        if heading is None:
            continue
        title = normalise(heading.text(deep=True))
        heading.decompose()  # the heading is the query: it must not be in the text
        text = "\n\n".join(_blocks(node))
        section_id = node.attributes.get("id") or f"section-{number}"
        sections.append(Section(id=f"{page}#{section_id}", heading=title, text=text))
    return sections


def library_sections(library: Path) -> list[Section]:
    sections: list[Section] = []
    seen: set[str] = set()
    for path in sorted(library.glob("*.html")):
        for section in page_sections(path.read_text(encoding="utf-8"), path.stem):
            if section.id in seen:
                continue
            seen.add(section.id)
            sections.append(section)
    return sections


def is_query(heading: str, shared: Counter[str]) -> bool:
    key = heading.lower()
    words = [word for word in re.findall(r"\w+", key) if len(word) >= 2]
    return (
        key not in GENERIC
        and shared[key] == 1
        and len(words) >= MIN_QUERY_WORDS
        and not all(word in VAGUE_WORDS for word in words)
    )


# --- the BEIR folder ----------------------------------------------------------------------------


def sample(
    sections: list[Section], *, docs: int, queries: int, seed: int
) -> tuple[list[Section], list[Section]]:
    """(documents, query sections): queries first, then distractors up to `docs`."""
    documents = [s for s in sections if len(s.text.split()) >= MIN_DOCUMENT_WORDS]
    shared = Counter(s.heading.lower() for s in sections)
    candidates = [s for s in documents if is_query(s.heading, shared)]
    rng = random.Random(seed)
    asked = rng.sample(candidates, min(queries, len(candidates), docs))
    chosen = {s.id for s in asked}
    rest = [s for s in documents if s.id not in chosen]
    fill = rng.sample(rest, min(len(rest), max(0, docs - len(asked))))
    corpus = sorted([*asked, *fill], key=lambda s: s.id)
    return corpus, sorted(asked, key=lambda s: s.id)


def write_beir(out: Path, corpus: list[Section], asked: list[Section]) -> None:
    """The BEIR files; document ids are opaque (`d0001`), since a section's anchor is made from
    its heading, and sources.tsv says which section each one is."""
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    ids = {section.id: f"d{number:04d}" for number, section in enumerate(corpus)}
    with (out / "corpus.jsonl").open("w", encoding="utf-8") as file:
        for section in corpus:
            row = {"_id": ids[section.id], "title": "", "text": section.text}
            file.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (out / "sources.tsv").open("w", encoding="utf-8") as file:
        file.write("corpus-id\tsection\theading\n")
        for section in corpus:
            file.write(f"{ids[section.id]}\t{section.id}\t{section.heading}\n")
    with (out / "queries.jsonl").open("w", encoding="utf-8") as file:
        for number, section in enumerate(asked):
            row = {"_id": f"q{number:03d}", "text": section.heading}
            file.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (out / "qrels" / "test.tsv").open("w", encoding="utf-8") as file:
        file.write("query-id\tcorpus-id\tscore\n")
        for number, section in enumerate(asked):
            file.write(f"q{number:03d}\t{ids[section.id]}\t1\n")


def build(*, out: Path | None = None, docs: int = 2000, queries: int = 300, seed: int = 7) -> Path:
    """The BEIR folder for these parameters; reused when its meta.json matches."""
    deb = fetch_package()
    version = package_version(deb)
    out = out or CACHE / f"beir-{PACKAGE}-{version}-{docs}d-{queries}q-s{seed}"
    meta = {
        "format": FORMAT,
        "package": PACKAGE,
        "version": version,
        "docs": docs,
        "queries": queries,
        "seed": seed,
    }
    if _matches(out, meta):
        return out
    corpus, asked = sample(library_sections(extract(deb)), docs=docs, queries=queries, seed=seed)
    # Written beside, then moved into place: two benchmarks building the same set at once never
    # read a half-written folder.
    building = out.with_name(f"{out.name}.building-{os.getpid()}")
    write_beir(building, corpus, asked)
    meta |= {"corpus_docs": len(corpus), "query_count": len(asked)}
    (building / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    if _matches(out, meta):  # another process finished first
        shutil.rmtree(building)
        return out
    shutil.rmtree(out, ignore_errors=True)
    building.rename(out)
    return out


def _matches(out: Path, meta: dict[str, Any]) -> bool:
    meta_path = out / "meta.json"
    if not meta_path.exists():
        return False
    existing = json.loads(meta_path.read_text())
    return {key: existing.get(key) for key in meta} == {key: meta[key] for key in meta}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    out = build(out=args.out, docs=args.docs, queries=args.queries, seed=args.seed)
    meta = json.loads((out / "meta.json").read_text())
    # `make bench` runs every bench/*.py: this one's JSON line says what it built, and where.
    line = {
        "bench": "knowledge_corpus",
        "docs": meta["corpus_docs"],
        "queries": meta["query_count"],
        "package": f"{meta['package']} {meta['version']}",
        "path": str(out),
    }
    print(json.dumps(line, separators=(",", ":")))


if __name__ == "__main__":
    main()
