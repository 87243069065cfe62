"""Redis is an accelerator, never a single point of failure: helpers for its brief absences.

Everything Keel keeps in Redis is either a copy of what the database holds (cancel flags, stream
entries whose text is persisted on the row), a fairness counter, or the broker's transport. So
a Redis that restarts for a second must slow a request or a job down, not fail it: reads and
counters give up quietly (`quietly`), writes that matter are retried with a short, bounded
backoff (`with_retry`) before the caller falls back (stream deltas are buffered, a message that
cannot be enqueued is left for the reaper). docs/operations.md says what heals when.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A Redis that is down, restarting or still loading its data set. Other Redis errors (a wrong
# type, a script error) are bugs and must raise.
REDIS_DOWN: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def quietly(what: str, fn: Callable[[], T], default: T) -> T:
    """`fn()`, or `default` (logged) when Redis is away: for caches, flags and counters."""
    try:
        return fn()
    except REDIS_DOWN as exc:
        logger.warning("redis unavailable (%s): %s; carrying on without it", what, exc)
        return default


def with_retry(
    fn: Callable[[], T], *, attempts: int = 4, first_delay_s: float = 0.05, max_delay_s: float = 0.4
) -> T:
    """`fn()`, retried with exponential backoff while Redis is away; raises after `attempts`.

    The defaults wait at most ~0.55 s in all: long enough for a connection reset or a failover,
    short enough that a caller with a fallback gets to use it.
    """
    delay = first_delay_s
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except REDIS_DOWN:
            if attempt == attempts:
                raise
            time.sleep(delay)
            delay = min(max_delay_s, delay * 2)
    raise AssertionError("unreachable")  # pragma: no cover
