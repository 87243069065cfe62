"""Per-message token streams: the worker appends, any number of readers follow from a cursor.

A reply's job appends text entries (the model's deltas, coalesced into about one entry per 50 ms
by product.chat.services._ReplyWriter), one per change of a tool call's state (`tool`, a
ToolEvent as JSON: running, then ok or error), a `reset` entry when a new attempt starts over,
and one `end` entry when it finishes. Each entry has a cursor (an opaque string that only grows)
and a reader resumes after any cursor it saw, so a reload, a second tab or a dropped connection
neither loses nor repeats text. Redis pub/sub would lose what a reconnecting reader missed; a Redis
Stream keeps it (XADD, then XREAD BLOCK from the last id).

Two backends with one interface, chosen by settings.REDIS_URL: Redis Streams, and the embedded
default over the database (`StreamEntry`, whose autoincrement id is the cursor) for a
no-services install. After the end entry a stream is kept for STREAM_TTL_S so late readers with a
cursor can still resume; then it expires and readers are served from the database alone.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, Protocol

import redis
import redis.asyncio as aredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from product.chat.models import StreamEntry

DELTA = "delta"
TOOL = "tool"
RESET = "reset"
END = "end"
STREAM_TTL_S = 3600
# Redis streams keep at most this many entries (approximate trim): far beyond any reply.
STREAM_MAXLEN = 20000
# How often the database backend polls for new entries while a reader waits.
DB_POLL_S = 0.05
# Longest a reader may block in one read (ms), and the socket timeout that must exceed it.
MAX_BLOCK_MS = 15000
READ_TIMEOUT_S = MAX_BLOCK_MS / 1000 + 10


@dataclass(frozen=True)
class Entry:
    cursor: str
    kind: str
    data: str


class StreamReader(Protocol):
    async def read(self, *, after: str, block_ms: int) -> list[Entry]: ...

    async def aclose(self) -> None: ...


class StreamBackend(Protocol):
    def append(self, message_id: uuid.UUID, kind: str, data: str = "") -> str: ...

    def expire(self, message_id: uuid.UUID) -> None: ...

    def clear(self, message_id: uuid.UUID) -> None: ...

    def last_cursor(self, message_id: uuid.UUID) -> str: ...

    def read(self, message_id: uuid.UUID, *, after: str = "") -> list[Entry]: ...

    def reader(self, message_id: uuid.UUID) -> StreamReader: ...


# --- Redis Streams ---------------------------------------------------------------------------


def _key(message_id: uuid.UUID) -> str:
    return f"keel:chat:stream:{message_id}"


def _entries(raw: Any) -> list[Entry]:
    found: list[Entry] = []
    for _key_name, items in raw or []:
        for entry_id, fields in items:
            found.append(
                Entry(
                    cursor=entry_id.decode(),
                    kind=fields[b"k"].decode(),
                    data=fields.get(b"d", b"").decode(),
                )
            )
    return found


class RedisStreamReader:
    """One connection per reader: async clients are bound to the event loop that made them."""

    def __init__(self, url: str, message_id: uuid.UUID) -> None:
        # A blocking XREAD must outlive its BLOCK time: redis-py's default socket timeout would
        # cut a 5 s block short with a TimeoutError. No lib name or version: redis-py would read
        # its version from the package metadata on disk and send two CLIENT SETINFO per new
        # connection, one per stream here (py-spy: 2.5% of a chat web process's CPU).
        self._client: aredis.Redis = aredis.Redis.from_url(
            url, socket_timeout=READ_TIMEOUT_S, lib_name=None, lib_version=None
        )
        self._key = _key(message_id)

    async def read(self, *, after: str, block_ms: int) -> list[Entry]:
        raw = await self._client.xread(
            {self._key: after or "0-0"}, count=500, block=min(block_ms, MAX_BLOCK_MS)
        )
        return _entries(raw)

    async def aclose(self) -> None:
        await self._client.aclose()


class RedisStreamBackend:
    def __init__(self, url: str) -> None:
        self.url = url
        self._client = redis.Redis.from_url(url)

    def append(self, message_id: uuid.UUID, kind: str, data: str = "") -> str:
        entry_id = self._client.xadd(
            _key(message_id), {"k": kind, "d": data}, maxlen=STREAM_MAXLEN, approximate=True
        )
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    def expire(self, message_id: uuid.UUID) -> None:
        self._client.expire(_key(message_id), STREAM_TTL_S)

    def clear(self, message_id: uuid.UUID) -> None:
        self._client.delete(_key(message_id))

    def last_cursor(self, message_id: uuid.UUID) -> str:
        """The newest entry's cursor, or "" (no stream: expired, or lost with a Redis restart)."""
        found = self._client.xrevrange(_key(message_id), count=1)
        if not found:
            return ""
        entry_id = found[0][0]
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    def read(self, message_id: uuid.UUID, *, after: str = "") -> list[Entry]:
        return _entries(self._client.xread({_key(message_id): after or "0-0"}, count=100000))

    def reader(self, message_id: uuid.UUID) -> StreamReader:
        return RedisStreamReader(self.url, message_id)


# --- The database (embedded default) ---------------------------------------------------------


def _db_after(after: str) -> int:
    try:
        return int(after) if after else 0
    except ValueError:
        return 0


def _db_read(message_id: uuid.UUID, after: str, limit: int = 500) -> list[Entry]:
    # Tuples, not model instances: a waiting reader runs this 20 times a second, and most of
    # those polls find nothing (the ORM's per-query cost is what remains).
    rows = (
        StreamEntry.objects.filter(message_id=message_id, id__gt=_db_after(after))
        .order_by("id")
        .values_list("id", "kind", "data")[:limit]
    )
    return [Entry(cursor=str(entry_id), kind=kind, data=data) for entry_id, kind, data in rows]


class DatabaseStreamReader:
    def __init__(self, message_id: uuid.UUID) -> None:
        self._message_id = message_id

    async def read(self, *, after: str, block_ms: int) -> list[Entry]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + block_ms / 1000
        while True:
            found = await sync_to_async(_db_read)(self._message_id, after)
            if found or loop.time() >= deadline:
                return found
            await asyncio.sleep(DB_POLL_S)

    async def aclose(self) -> None:
        return None


class DatabaseStreamBackend:
    def append(self, message_id: uuid.UUID, kind: str, data: str = "") -> str:
        return str(StreamEntry.objects.create(message_id=message_id, kind=kind, data=data).id)

    def expire(self, message_id: uuid.UUID) -> None:
        # No TTLs in a table: prune every stream that ended long enough ago, this one later.
        cutoff = timezone.now() - timedelta(seconds=STREAM_TTL_S)
        ended = StreamEntry.objects.filter(kind=END, created_at__lt=cutoff).values("message_id")
        StreamEntry.objects.filter(message_id__in=ended).delete()

    def clear(self, message_id: uuid.UUID) -> None:
        StreamEntry.objects.filter(message_id=message_id).delete()

    def last_cursor(self, message_id: uuid.UUID) -> str:
        last = StreamEntry.objects.filter(message_id=message_id).order_by("-id").first()
        return str(last.id) if last is not None else ""

    def read(self, message_id: uuid.UUID, *, after: str = "") -> list[Entry]:
        return _db_read(message_id, after, limit=100000)

    def reader(self, message_id: uuid.UUID) -> StreamReader:
        return DatabaseStreamReader(message_id)


@cache
def _backend_for(url: str) -> StreamBackend:
    return RedisStreamBackend(url) if url else DatabaseStreamBackend()


def get_backend() -> StreamBackend:
    """The backend for the current settings (cached per URL, so tests may switch it)."""
    return _backend_for(settings.REDIS_URL)
