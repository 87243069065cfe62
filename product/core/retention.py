"""Retention: what each app prunes, run together on the beat (and by `manage.py prune`).

A table that only grows gets a pruner: a function of `now` that removes (or empties) what is
older than its setting and returns how many rows it changed. The app that owns the table
registers it in its `AppConfig.ready()`, so the one task that runs them all
(product/observability/tasks.py) names no app above it: chat registers its stream entries;
observability its own (idempotency records, model bodies). A setting of 0 keeps rows forever.

Work goes in batches of BATCH_SIZE rows, each in its own short transaction, so pruning a big
backlog never holds a long lock on a table the product writes to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Model, QuerySet

BATCH_SIZE = 5000

Pruner = Callable[[datetime], int]
_pruners: dict[str, Pruner] = {}


def register_pruner(name: str, pruner: Pruner) -> Pruner:
    """Run `pruner` with the others; `name` says what it prunes in counts and logs. Registering
    a name again replaces it (a reloaded app)."""
    _pruners[name] = pruner
    return pruner


def pruners() -> dict[str, Pruner]:
    return dict(_pruners)


def cutoff(now: datetime, *, hours: float = 0, days: float = 0) -> datetime | None:
    """The moment before which rows go, or None for "keep forever" (a setting of 0)."""
    window = timedelta(hours=hours, days=days)
    if window <= timedelta(0):
        return None
    return now - window


def delete_in_batches(queryset: QuerySet[Any], *, batch_size: int = BATCH_SIZE) -> int:
    """Delete what `queryset` selects, `batch_size` rows per statement; returns how many."""
    model: type[Model] = queryset.model
    deleted = 0
    while True:
        # DELETE ... WHERE pk IN (SELECT pk ... LIMIT n): no ids travel through Python.
        batch = model._default_manager.filter(pk__in=queryset.order_by().values("pk")[:batch_size])
        _, by_model = batch.delete()
        count = by_model.get(model._meta.label, 0)
        deleted += count
        if count < batch_size:
            return deleted


def update_in_batches(
    queryset: QuerySet[Any], values: dict[str, Any], *, batch_size: int = BATCH_SIZE
) -> int:
    """UPDATE what `queryset` selects with `values`, in batches. `values` must take the rows out
    of the queryset (else the loop would see them again)."""
    model: type[Model] = queryset.model
    updated = 0
    while True:
        count = model._default_manager.filter(
            pk__in=queryset.order_by().values("pk")[:batch_size]
        ).update(**values)
        updated += count
        if count < batch_size:
            return updated
