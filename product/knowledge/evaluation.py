"""Retrieval-quality metrics over ranked document ids, as BEIR and trec_eval compute them.

Pure functions, no Django: `manage.py knowledge evaluate` and the quality benchmark feed them the
documents each query's search returned (`rank_documents` folds passages into documents: a document
ranks where its best passage does) and the judgements (`qrels`: query id → document id → grade).

- nDCG@k uses linear gains (grade / log2(rank + 1)), as trec_eval's `ndcg_cut` and so BEIR do;
  the ideal ordering is the judged grades sorted, cut at k.
- recall@k is the share of the query's relevant documents (grade > 0) found in the top k.
- MRR@k is 1 / the rank of the first relevant document in the top k (0 when none is there).

A query with no relevant document has no defined score: `score_run` leaves it out of the means
and counts it apart (`unjudged`) rather than folding a 0 or a NaN into them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Qrels = Mapping[str, Mapping[str, int]]  # query id -> document id -> grade (0: judged irrelevant)


def rank_documents(document_ids: Iterable[str]) -> list[str]:
    """Passages' documents in rank order → each document once, at its best (first) rank."""
    return list(dict.fromkeys(document_ids))


def _relevant(grades: Mapping[str, int]) -> dict[str, int]:
    return {doc: grade for doc, grade in grades.items() if grade > 0}


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    relevant = _relevant(grades)
    if not relevant:
        return 0.0
    dcg = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(grade / math.log2(rank + 2) for rank, grade in enumerate(ideal))
    return dcg / idcg


def recall_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    relevant = _relevant(grades)
    if not relevant:
        return 0.0
    return len(relevant.keys() & set(ranked[:k])) / len(relevant)


def mrr_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    relevant = _relevant(grades)
    for rank, doc in enumerate(ranked[:k]):
        if doc in relevant:
            return 1.0 / (rank + 1)
    return 0.0


@dataclass(frozen=True)
class Scores:
    ndcg: float
    recall: float
    mrr: float
    queries: int  # queries scored (with at least one relevant document)
    unjudged: int  # queries left out: no relevant document in the qrels

    def as_dict(self, k: int) -> dict[str, float]:
        return {
            f"ndcg@{k}": round(self.ndcg, 4),
            f"recall@{k}": round(self.recall, 4),
            "mrr": round(self.mrr, 4),
        }


def score_run(run: Mapping[str, Sequence[str]], qrels: Qrels, *, k: int = 10) -> Scores:
    """Mean nDCG@k, recall@k and MRR@k of `run` (query id → ranked document ids).

    Every query that has a relevant document in `qrels` is scored; a query the run did not
    answer scores 0 (it found nothing). Queries without a relevant document are only counted.
    """
    ndcg = recall = mrr = 0.0
    scored = unjudged = 0
    for query_id in sorted(run.keys() | qrels.keys()):
        grades = qrels.get(query_id, {})
        if not _relevant(grades):
            unjudged += 1
            continue
        ranked = run.get(query_id, [])
        ndcg += ndcg_at_k(ranked, grades, k)
        recall += recall_at_k(ranked, grades, k)
        mrr += mrr_at_k(ranked, grades, k)
        scored += 1
    if not scored:
        return Scores(0.0, 0.0, 0.0, 0, unjudged)
    return Scores(ndcg / scored, recall / scored, mrr / scored, scored, unjudged)
