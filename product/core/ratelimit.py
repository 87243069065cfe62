"""A fixed one-minute window per caller in the shared cache: the API's fairness limit.

The caller is named by an opaque identity (`key:<id>`, `user:<id>`: product/apikeys/auth.py says
who); this module only counts. The state of the window is kept on the request so the API can send
`X-RateLimit-*` on every answer (product/api.py).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

from product.core.errors import RateLimited
from product.core.resilience import quietly

REQUEST_ATTRIBUTE = "_keel_rate_limit"


@dataclass(frozen=True)
class RateLimit:
    limit: int
    remaining: int
    reset_at: int  # epoch seconds when the window ends

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }


def _count_hit(bucket: str) -> int:
    """Add one hit to a window's bucket and return the count: one round trip on Redis."""
    backend = caches["default"]  # the backend itself: `cache` is a proxy, never a RedisCache
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=True)  # type: ignore[attr-defined]
        key = backend.make_and_validate_key(bucket)
        pipe = client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, 61)
        count, _ = pipe.execute()
        return int(count)
    # Other caches (the embedded database cache): add, then incr; slower, still correct.
    cache.add(bucket, 0, timeout=61)
    try:
        return int(cache.incr(bucket))
    except ValueError:
        # The bucket expired between add and incr (a window boundary): start the new one.
        cache.set(bucket, 1, timeout=61)
        return 1


def rate_limit_of(request: HttpRequest) -> RateLimit | None:
    """The window counted for this request, if any (set by `check_rate_limit`)."""
    found = getattr(request, REQUEST_ATTRIBUTE, None)
    return found if isinstance(found, RateLimit) else None


def check_rate_limit(request: HttpRequest, identity: str) -> RateLimit:
    """Count one request for `identity`; raise RateLimited (429 + Retry-After) when it is spent.

    Fixed windows allow a burst of up to twice the limit across a boundary; that is acceptable for
    a fairness limit and costs one Redis round trip, where a sliding log would cost a sorted set.
    """
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    now = time.time()
    window = math.floor(now / 60)
    reset_at = (window + 1) * 60
    # Without Redis nobody is counted (fail open): a fairness limit must not take the API down.
    used = quietly("api rate limit", lambda: _count_hit(f"api-rate:{identity}:{window}"), 0)
    state = RateLimit(limit=limit, remaining=max(0, limit - used), reset_at=reset_at)
    setattr(request, REQUEST_ATTRIBUTE, state)
    if used > limit:
        retry_after = max(1, math.ceil(reset_at - now))
        raise RateLimited(
            f"Rate limit of {limit} requests per minute exceeded; retry in {retry_after} s.",
            details={"limit": limit, "retry_after": retry_after},
            headers={**state.headers(), "Retry-After": str(retry_after)},
            retry_after=retry_after,
        )
    return state
