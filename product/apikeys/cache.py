"""The verified-key cache: a key that passed the database check once is recognised from the cache.

Checking a key against the database costs a joined query (key, maker, workspace, membership) on
every API call; the cache holds the row that check returned, with its workspace and its maker
(their password hash left out), under a name made from the SHA-256 of the key's secret, the same
digest the row stores. The plaintext key is never part of a cache name or value.

Staleness is bounded two ways:
- every write that could change the answer marks the key's entry stale (product/apikeys/signals.py:
  the key itself revoked, renamed or deleted; its maker's membership, its maker or its workspace
  changed), at once and again when the transaction commits, so the next request asks the database;
- entries expire after `settings.API_KEY_CACHE_SECONDS`, the bound for a change made behind the
  ORM's back (a raw `UPDATE`, a queryset `.update()`).

A stale mark is itself an entry, for `STALE_S`, and a verified key is stored with `add`, which
never overwrites: a request that read the row just before a revocation cannot store it after the
mark, so a revoked key is refused from the next request on.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable
from typing import Final

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from product.apikeys.models import ApiKey
from product.core.resilience import REDIS_DOWN, quietly, with_retry

logger = logging.getLogger(__name__)

STALE: Final = "stale"
# Longer than any request takes between reading a key's row and storing it.
STALE_S: Final = 60


def cache_name(secret_hash: str) -> str:
    # The entries are pickled model rows: a release that changes ApiKey, User or Workspace in a
    # way an old row cannot stand for bumps the version, and the old entries are never read.
    return f"api-key:v1:{secret_hash}"


def cached_keys(secret_hashes: Iterable[str]) -> dict[str, ApiKey | str]:
    """The entries found, by secret hash: a verified `ApiKey`, or `STALE`. One round trip."""
    names = {cache_name(digest): digest for digest in secret_hashes}
    try:
        found: dict[str, ApiKey | str] = quietly(
            "api key cache", lambda: cache.get_many(list(names)), {}
        )
    except (pickle.UnpicklingError, AttributeError, ImportError, EOFError) as exc:
        # An entry an older release stored that this one cannot read: the database decides, and
        # the entry is overwritten when it expires (or at once on the next write to the key).
        logger.warning("unreadable API key cache entry: %s", exc)
        return {}
    return {names[name]: value for name, value in found.items() if name in names}


def remember_verified_key(key: ApiKey) -> None:
    """Store a key the database just verified, unless it was marked stale meanwhile."""
    if settings.API_KEY_CACHE_SECONDS <= 0:
        return
    quietly(
        "api key cache",
        lambda: cache.add(cache_name(key.secret_hash), key, timeout=settings.API_KEY_CACHE_SECONDS),
        False,
    )


def forget_verified_keys(secret_hashes: Iterable[str]) -> None:
    """Mark these keys stale now and once more when the current transaction commits.

    Now, so the writer's own transaction already reads the database; after the commit, so no
    request that read the old row before the commit can store it again.
    """
    marks = {cache_name(digest): STALE for digest in secret_hashes}
    if not marks:
        return

    def mark() -> None:
        try:
            with_retry(lambda: cache.set_many(marks, timeout=STALE_S))
        except REDIS_DOWN:
            # The entries expire on their own (API_KEY_CACHE_SECONDS); nobody reads them meanwhile.
            logger.exception("could not mark %d API key(s) stale in the cache", len(marks))

    mark()
    transaction.on_commit(mark)


def forget_keys_matching(**lookup: object) -> None:
    """Mark stale every key of a maker, a workspace or a membership (one query, on a write)."""
    forget_verified_keys(ApiKey.objects.filter(**lookup).values_list("secret_hash", flat=True))
