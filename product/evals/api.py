"""Evaluation over the API: feedback, datasets and items, runs, comparisons."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["evals"])
