"""One Redis connection pool per process for Django's cache.

Django keeps a cache backend per thread and, under ASGI, per request context (its connection
handler stores them in an asgiref Local). Each new RedisCache makes its own redis-py connection
pool, so every API request opened a fresh TCP connection to Redis and redid the handshake
(about 2 ms of CPU, a quarter of an authenticated API read: bench/api.py). redis-py pools are
thread-safe and fork-aware, so one pool per process and server serves every backend instance.
Known upstream: https://github.com/django/django/pull/18459 (open).
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import redis


class ProcessConnectionPool(redis.ConnectionPool):
    """`CACHES[...]["OPTIONS"]["pool_class"]`: `from_url` hands out one pool per URL and options."""

    _shared: ClassVar[dict[tuple[str, str], ProcessConnectionPool]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> ProcessConnectionPool:
        key = (url, repr(sorted(kwargs.items())))
        with cls._shared_lock:
            pool = cls._shared.get(key)
            if pool is None:
                pool = super().from_url(url, **kwargs)
                cls._shared[key] = pool
            return pool
