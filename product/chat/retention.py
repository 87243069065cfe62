"""The embedded stream backend's table, pruned with the rest of retention (core/retention.py).

A stream that ended is already swept an hour after its end (streams.DatabaseStreamBackend
.expire, mirroring the Redis TTL); this catches what that sweep never sees: a stream without an
`end` entry (its message was deleted mid-reply, its worker died). With Redis the table is empty
and this costs one indexed query.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from product.chat.models import StreamEntry
from product.core import retention


def prune_stream_entries(now: datetime) -> int:
    before = retention.cutoff(now, hours=settings.STREAM_ENTRY_RETENTION_HOURS)
    if before is None:
        return 0
    return retention.delete_in_batches(StreamEntry.objects.filter(created_at__lt=before))
