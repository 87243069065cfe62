"""`manage.py knowledge SUBCOMMAND`: operator tools for the knowledge feature.

    manage.py knowledge evaluate --beir DIR [--k 10] [--depth 30] [--workspace-name NAME] [--keep]
                                 [--sweep 1:0.5,1:0.25] [--json]

`evaluate` measures retrieval quality on a BEIR folder through the real ingestion pipeline and
`retrieval.search` (product/knowledge/quality.py says how), and prints nDCG@k, recall@k and MRR@k
of the keyword leg, the vector leg and the fused list, with timings. It needs no worker. With the
dev model (no LLM_API_KEY) it starts the dev model server in this process when none answers at
DEVMODEL_HOST:DEVMODEL_PORT; with a real provider every embedding is charged. A BEIR folder from
the Python documentation, offline: `python bench/knowledge_corpus.py`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from product.core.errors import KeelError
from product.knowledge import quality


def _weight_pairs(value: str) -> list[tuple[float, float]]:
    pairs = []
    for pair in value.split(","):
        keyword, _, vector = pair.partition(":")
        try:
            pairs.append((float(keyword), float(vector)))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(
                f"{pair!r}: give weights as keyword:vector, e.g. 1:0.25"
            ) from exc
    return pairs


class Command(BaseCommand):
    help = "Knowledge tools: `evaluate` measures retrieval quality on a BEIR folder."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        evaluate = subcommands.add_parser(
            "evaluate",
            help="Ingest a BEIR corpus into a scratch workspace and score retrieval on its qrels.",
        )
        evaluate.add_argument(
            "--beir",
            type=Path,
            required=True,
            help="A BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv.",
        )
        evaluate.add_argument("--k", type=int, default=10, help="Documents scored per query.")
        evaluate.add_argument(
            "--depth",
            type=int,
            default=None,
            help="Passages asked of each list (default 3 × k: several may be one document's).",
        )
        evaluate.add_argument("--workspace-name", default="Knowledge evaluation")
        evaluate.add_argument(
            "--keep", action="store_true", help="Keep the scratch workspace for a look at it."
        )
        evaluate.add_argument(
            "--sweep",
            type=_weight_pairs,
            default=None,
            metavar="KW:VW,...",
            help="Also score the fused list under these keyword:vector fusion weights.",
        )
        evaluate.add_argument(
            "--json", action="store_true", help="Print the report as one JSON line last."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "evaluate":
            self.evaluate(options)

    def evaluate(self, options: dict[str, Any]) -> None:
        try:
            report = quality.evaluate(
                options["beir"],
                k=options["k"],
                depth=options["depth"],
                workspace_name=options["workspace_name"],
                keep=options["keep"],
                sweep=options["sweep"],
                progress=lambda message: self.stderr.write(message),
            )
        except KeelError as exc:
            raise CommandError(exc.message) from exc
        k = report.k
        self.stdout.write(
            f"{report.documents} documents ({report.ready} ready, {len(report.failed)} failed, "
            f"{report.chunks} chunks), {report.queries} judged queries"
            + (f", {report.unjudged} without a relevant document" if report.unjudged else "")
        )
        self.stdout.write(f"{'':8} {f'nDCG@{k}':>9} {f'recall@{k}':>10} {f'MRR@{k}':>8}")
        for leg, scores in report.scores.items():
            self.stdout.write(f"{leg:8} {scores.ndcg:9.4f} {scores.recall:10.4f} {scores.mrr:8.4f}")
        for (keyword, vector), scores in report.sweep.items():
            self.stdout.write(
                f"{f'{keyword}:{vector}':8} {scores.ndcg:9.4f} {scores.recall:10.4f} "
                f"{scores.mrr:8.4f}  (fused, keyword:vector weights)"
            )
        timing = report.timing
        self.stdout.write(
            f"ingest {timing['ingest_s']:.1f} s ({timing['ingest_docs_per_s']} docs/s, "
            f"{timing['ingest_cpu_ms_per_doc']} CPU ms/doc); search p50 "
            f"{timing['search_ms_p50']} ms, p95 {timing['search_ms_p95']} ms, "
            f"{timing['cpu_ms_per_query']} CPU ms/query"
        )
        self.stdout.write(
            f"index model {report.index_model}, fusion weights keyword "
            f"{report.weights['keyword']} / vector {report.weights['vector']}"
        )
        for document_id, why in list(report.failed.items())[:5]:
            self.stdout.write(f"failed: {document_id}: {why}")
        for query_id, why in list(report.failed_queries.items())[:5]:
            self.stdout.write(f"query failed: {query_id}: {why}")
        if report.workspace_id is not None:
            self.stdout.write(f"kept the scratch workspace {report.workspace_id}")
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), separators=(",", ":")))
