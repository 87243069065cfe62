"""Celery interfaces to observability: the retention pass on the beat (worker/celery.py)."""

from __future__ import annotations

from celery import shared_task

from product.observability import retention


@shared_task(name="observability.prune", ignore_result=True)
def prune() -> dict[str, int]:
    return retention.prune_everything()
