"""The retrieval metrics, on cases small enough to compute by hand."""

from __future__ import annotations

import math

import pytest

from product.knowledge.evaluation import (
    mrr_at_k,
    ndcg_at_k,
    rank_documents,
    recall_at_k,
    score_run,
)


def test_ndcg_uses_graded_gains_against_the_ideal_order() -> None:
    grades = {"a": 2, "b": 1, "c": 0}
    # DCG = 0/log2(2) + 1/log2(3) + 2/log2(4); ideal = 2/log2(2) + 1/log2(3).
    dcg = 1 / math.log2(3) + 2 / 2
    idcg = 2 + 1 / math.log2(3)
    assert ndcg_at_k(["c", "b", "a"], grades, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["c", "b", "a"], grades, 10) == pytest.approx(0.6199, abs=1e-4)
    assert ndcg_at_k(["a", "b", "c"], grades, 10) == pytest.approx(1.0)


def test_ndcg_counts_only_the_top_k_and_cuts_the_ideal_at_k() -> None:
    grades = {"a": 1, "b": 1, "c": 1}
    assert ndcg_at_k(["x", "y", "a"], grades, 2) == 0.0
    # k=1: one relevant document at rank 1 is ideal, however many others are relevant.
    assert ndcg_at_k(["b", "x"], grades, 1) == pytest.approx(1.0)
    # Rank 2 of 3 relevant at k=10: (1/log2(3)) / (1 + 1/log2(3) + 1/log2(4)).
    expected = (1 / math.log2(3)) / (1 + 1 / math.log2(3) + 0.5)
    assert ndcg_at_k(["x", "a"], grades, 10) == pytest.approx(expected)


def test_recall_is_the_share_of_relevant_documents_found() -> None:
    grades = {"a": 1, "b": 3, "c": 1, "d": 1, "e": 0}
    assert recall_at_k(["a", "z", "c", "e"], grades, 10) == pytest.approx(0.5)
    assert recall_at_k(["a", "z", "c"], grades, 2) == pytest.approx(0.25)
    assert recall_at_k([], grades, 10) == 0.0


def test_mrr_is_the_inverse_rank_of_the_first_relevant_document() -> None:
    grades = {"a": 1, "b": 2}
    assert mrr_at_k(["x", "y", "b", "a"], grades, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["a"], grades, 10) == 1.0
    assert mrr_at_k(["x", "y", "b"], grades, 2) == 0.0
    assert mrr_at_k(["x"], {"x": 0}, 10) == 0.0


def test_a_query_without_relevant_documents_is_left_out_of_the_means() -> None:
    qrels = {
        "q1": {"a": 1},
        "q2": {"b": 1},  # the run has no answer for it: it scores 0
        "q3": {"c": 0},  # judged, nothing relevant: unjudged
    }
    run = {"q1": ["a", "x"], "q3": ["c"], "q4": ["d"]}  # q4 is not in the qrels at all
    scores = score_run(run, qrels, k=10)
    assert scores.queries == 2
    assert scores.unjudged == 2
    assert scores.ndcg == pytest.approx(0.5)
    assert scores.recall == pytest.approx(0.5)
    assert scores.mrr == pytest.approx(0.5)
    assert scores.as_dict(10) == {"ndcg@10": 0.5, "recall@10": 0.5, "mrr": 0.5}


def test_empty_qrels_score_nothing_and_raise_nothing() -> None:
    assert ndcg_at_k(["a"], {}, 10) == 0.0
    assert recall_at_k(["a"], {}, 10) == 0.0
    assert mrr_at_k(["a"], {}, 10) == 0.0
    scores = score_run({"q1": ["a"]}, {}, k=10)
    assert (scores.queries, scores.unjudged, scores.ndcg) == (0, 1, 0.0)


def test_passages_fold_into_documents_at_their_best_rank() -> None:
    assert rank_documents(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]
    assert rank_documents([]) == []
