"""Database helpers shared by every layer that waits on something slow (a model, a broker)."""

from __future__ import annotations

from django.db import connection


def release_connection() -> None:
    """Give this thread's database connection back to the pool, unless a transaction holds it.

    A job thread spends seconds waiting on a model; holding a pooled connection meanwhile would cap
    concurrency at the pool size.
    """
    if not connection.in_atomic_block:
        connection.close()
