from __future__ import annotations

import asyncio
import uuid

import pytest

from product.chat import streams

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_appends_and_reads_in_order(stream_backend: str) -> None:
    backend = streams.get_backend()
    message_id = uuid.uuid4()
    cursors = [backend.append(message_id, streams.DELTA, part) for part in ["Hel", "lo", "!"]]
    backend.append(message_id, streams.END, '{"status": "done"}')
    entries = backend.read(message_id)
    assert [e.data for e in entries[:3]] == ["Hel", "lo", "!"]
    assert [e.cursor for e in entries[:3]] == cursors
    assert entries[-1].kind == streams.END


def test_it_resumes_after_a_cursor(stream_backend: str) -> None:
    backend = streams.get_backend()
    message_id = uuid.uuid4()
    cursors = [backend.append(message_id, streams.DELTA, str(n)) for n in range(6)]
    rest = backend.read(message_id, after=cursors[2])
    assert [e.data for e in rest] == ["3", "4", "5"]


def test_it_keeps_streams_apart(stream_backend: str) -> None:
    backend = streams.get_backend()
    first, second = uuid.uuid4(), uuid.uuid4()
    backend.append(first, streams.DELTA, "a")
    backend.append(second, streams.DELTA, "b")
    assert [e.data for e in backend.read(first)] == ["a"]


def test_it_clears_a_stream(stream_backend: str) -> None:
    backend = streams.get_backend()
    message_id = uuid.uuid4()
    backend.append(message_id, streams.DELTA, "a")
    backend.clear(message_id)
    assert backend.read(message_id) == []


def test_it_wakes_a_blocked_reader(stream_backend: str) -> None:
    backend = streams.get_backend()
    message_id = uuid.uuid4()
    first = backend.append(message_id, streams.DELTA, "a")

    async def follow() -> list[streams.Entry]:
        reader = backend.reader(message_id)
        try:
            waiting = asyncio.ensure_future(reader.read(after=first, block_ms=3000))
            await asyncio.sleep(0.2)
            await asyncio.get_running_loop().run_in_executor(
                None, backend.append, message_id, streams.DELTA, "b"
            )
            return await waiting
        finally:
            await reader.aclose()

    entries = asyncio.run(follow())
    assert [e.data for e in entries] == ["b"]


def test_it_returns_nothing_when_a_read_times_out(stream_backend: str) -> None:
    backend = streams.get_backend()
    message_id = uuid.uuid4()

    async def follow() -> list[streams.Entry]:
        reader = backend.reader(message_id)
        try:
            return await reader.read(after="", block_ms=100)
        finally:
            await reader.aclose()

    assert asyncio.run(follow()) == []
