"""The Redis cache's connection pool is one per process, whatever the number of backends."""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache

from product.core.cache import ProcessConnectionPool

OPTIONS = {"pool_class": "product.core.cache.ProcessConnectionPool"}


def test_it_gives_every_backend_instance_the_same_pool() -> None:
    # Django makes a backend per request context under ASGI: they must not each connect anew.
    first = RedisCache("redis://127.0.0.1:6379/11", {"OPTIONS": OPTIONS})
    second = RedisCache("redis://127.0.0.1:6379/11", {"OPTIONS": OPTIONS})
    pool = first._cache._get_connection_pool(write=True)  # type: ignore[attr-defined]
    assert isinstance(pool, ProcessConnectionPool)
    assert second._cache._get_connection_pool(write=True) is pool  # type: ignore[attr-defined]


def test_it_keeps_servers_apart() -> None:
    one = ProcessConnectionPool.from_url("redis://127.0.0.1:6379/11")
    other = ProcessConnectionPool.from_url("redis://127.0.0.1:6379/12")
    assert one is not other
    assert one.connection_kwargs["db"] == 11
    assert other.connection_kwargs["db"] == 12
