"""Retention of what the product keeps only for a while, pruned on the beat (tasks.py) and by
`manage.py prune`.

- Idempotency records (core) after IDEMPOTENCY_RETENTION_HOURS: a retry with the same key
  replays the first answer for at least that long; after, the key is forgotten. Nothing else
  removed them before.
- The ledger's bodies (llm) after LLM_BODY_RETENTION_DAYS: the messages sent and the text
  received are set to NULL; the row, its sizes, tokens, cost and trace ids stay forever.
- Chat's stream entries on the embedded backend: chat registers that pruner itself
  (product/chat/retention.py); this app imports no feature.

Spans and traces are kept as long as the ledger: a few hundred bytes per step, and a trace
without its spans would be a waterfall with holes.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from product.core import retention
from product.core.models import IdempotencyRecord
from product.llm.models import LLMCall

logger = logging.getLogger(__name__)


def prune_idempotency_records(now: datetime) -> int:
    before = retention.cutoff(now, hours=settings.IDEMPOTENCY_RETENTION_HOURS)
    if before is None:
        return 0
    return retention.delete_in_batches(IdempotencyRecord.objects.filter(created_at__lt=before))


def prune_model_bodies(now: datetime) -> int:
    """Empty the bodies of ledger rows older than the window; returns how many rows."""
    before = retention.cutoff(now, days=settings.LLM_BODY_RETENTION_DAYS)
    if before is None:
        return 0
    # `__isnull`, not `=None`: on a JSONField `=None` means JSON null, not SQL NULL. The rows
    # that still hold a body are what the partial index `llmcall_with_body` covers.
    with_body = Q(request_messages__isnull=False) | Q(response_text__isnull=False)
    return retention.update_in_batches(
        LLMCall.objects.filter(with_body, created_at__lt=before),
        {"request_messages": None, "response_text": None},
    )


def register() -> None:
    """This app's pruners (apps.py calls it once the models are ready)."""
    retention.register_pruner("idempotency_records", prune_idempotency_records)
    retention.register_pruner("model_bodies", prune_model_bodies)


class PruneFailed(Exception):  # noqa: N818 (reads as what happened)
    """Some pruners failed (logged with their tracebacks); `counts` has what the others did."""

    def __init__(self, counts: dict[str, int], failed: list[str]) -> None:
        super().__init__(f"pruning failed for: {', '.join(failed)}")
        self.counts, self.failed = counts, failed


def prune_everything(now: datetime | None = None) -> dict[str, int]:
    """Run every registered pruner; returns {what: rows}. One that fails does not stop the
    others: it is logged, and PruneFailed is raised once the rest ran."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    failed: list[str] = []
    for name, pruner in sorted(retention.pruners().items()):
        try:
            counts[name] = pruner(now)
        except Exception:
            logger.exception("retention: pruning %s failed", name)
            failed.append(name)
    if any(counts.values()):
        logger.info("retention: pruned %s", counts)
    if failed:
        raise PruneFailed(counts, failed)
    return counts
