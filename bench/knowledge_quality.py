"""Retrieval quality: nDCG@10, recall@10 and MRR@10 of the keyword leg, the vector leg and the
fused list, on a BEIR set from the Python 3.11 library reference (bench/knowledge_corpus.py).

The corpus goes through the real pipeline (upload, the ingestion job run in this process, the
dev model server's embeddings through the gateway) and every query through retrieval.search:
the code of `manage.py knowledge evaluate` (product/knowledge/quality.py), on a throwaway stack.

Prints one JSON line last:
{"bench":"knowledge_quality","docs":..,"queries":..,"keyword":{"ndcg@10":..,"recall@10":..,
"mrr":..},"vector":{..},"fused":{..},"cpu_ms_per_query":..}
(goals: fused >= the best single leg; fused nDCG@10 >= 0.6 with the dev embeddings).
Sizes: BENCH_KQ_DOCS (2000), BENCH_KQ_QUERIES (300), BENCH_KQ_SEED (7). BENCH_KQ_SWEEP="1:0.25,1:0"
also scores the fused list under those keyword:vector fusion weights.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import knowledge_corpus  # noqa: E402
from _common import BenchStack, print_result  # noqa: E402

DOCS = int(os.environ.get("BENCH_KQ_DOCS", "2000"))
QUERIES = int(os.environ.get("BENCH_KQ_QUERIES", "300"))
SEED = int(os.environ.get("BENCH_KQ_SEED", "7"))
K = 10
# Other keyword:vector fusion weights to score the fused list under too ("1:0.25,1:0.1").
SWEEP = [
    (float(pair.split(":")[0]), float(pair.split(":")[1]))
    for pair in os.environ.get("BENCH_KQ_SWEEP", "").split(",")
    if pair
]


def main() -> None:
    folder = knowledge_corpus.build(docs=DOCS, queries=QUERIES, seed=SEED)
    with BenchStack(redis_db=int(os.environ.get("BENCH_REDIS_DB", "11"))) as stack:
        stack.setup_django()
        from product.knowledge import quality

        report = quality.evaluate(
            folder,
            k=K,
            sweep=SWEEP,
            progress=lambda message: print(message, file=sys.stderr, flush=True),
        )
        backend = "postgres" if stack.database_url.startswith("postgres") else "sqlite"
    result = report.as_dict()
    scores = {leg: result[leg] for leg in ("keyword", "vector", "fused")}
    best_leg = max(scores["keyword"][f"ndcg@{K}"], scores["vector"][f"ndcg@{K}"])
    print_result(
        {
            "bench": "knowledge_quality",
            "docs": result["docs"],
            "queries": result["queries"],
            **scores,
            "cpu_ms_per_query": result["cpu_ms_per_query"],
            "fused_minus_best_leg": round(scores["fused"][f"ndcg@{K}"] - best_leg, 4),
            "search_ms_p50": result["search_ms_p50"],
            "chunks": result["chunks"],
            "failed_docs": result["failed_docs"],
            "ingest_s": result["ingest_s"],
            "index_model": result["index_model"],
            "weights": result["weights"],
            "backend": backend,
            "corpus": folder.name,
            **({"sweep": result["sweep"]} if SWEEP else {}),
        }
    )


if __name__ == "__main__":
    main()
