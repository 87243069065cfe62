"""Chat while Redis is briefly away: stream deltas are buffered, readers are told to retry."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
from django.test import Client

from product.accounts.models import User
from product.chat import services, sse, streams
from product.chat.models import Conversation, Message
from product.chat.tests.conftest import send
from product.chat.tests.test_sse import read_stream, stream_url

pytestmark = pytest.mark.usefixtures("devmodel_llm")


class FlakyBackend:
    """A stream backend whose Redis is away while `down` is set."""

    def __init__(self, real: streams.StreamBackend) -> None:
        self.real = real
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise redis.exceptions.ConnectionError("Error 111 connecting. Connection refused.")

    def append(self, message_id: uuid.UUID, kind: str, data: str = "") -> str:
        self._check()
        return self.real.append(message_id, kind, data)

    def last_cursor(self, message_id: uuid.UUID) -> str:
        self._check()
        return self.real.last_cursor(message_id)


def replay(entries: list[streams.Entry]) -> str:
    """What a reader shows after these entries: deltas append, a reset clears."""
    text = ""
    for entry in entries:
        if entry.kind == streams.RESET:
            text = ""
        elif entry.kind == streams.DELTA:
            text += entry.data
    return text


def writer_for(reply: Message) -> tuple[Any, FlakyBackend]:
    writer = services._ReplyWriter(reply)
    flaky = FlakyBackend(writer.backend)
    writer.backend = flaky  # type: ignore[assignment]
    writer._stream_backoff_s = 0.0  # retry on the next delta, so the test needs no sleeps
    return writer, flaky


def test_it_buffers_deltas_while_redis_is_away_and_flushes_them_in_order(
    conversation: Conversation, alice: User, stream_backend: str
) -> None:
    reply = send(conversation, alice, "hello").reply
    writer, flaky = writer_for(reply)
    writer.on_delta("Hel")
    flaky.down = True
    writer.on_delta("lo, ")
    writer.on_delta("wor")
    writer.persist()
    reply.refresh_from_db()
    # The row holds the text that goes with its cursor, never the buffered rest.
    assert (reply.text, reply.stream_cursor) == ("Hel", writer.cursor)
    flaky.down = False
    writer._stream_retry_at = 0.0
    writer.on_delta("ld")
    entries = streams.get_backend().read(reply.pk)
    # In order, each once: what waited for Redis goes as one entry.
    assert [e.data for e in entries] == ["Hel", "lo, world"]
    # A reader that started from the row follows the stream after its cursor: exact text.
    after = streams.get_backend().read(reply.pk, after=reply.stream_cursor)
    assert reply.text + replay(after) == "Hello, world"


def test_it_starts_the_stream_over_when_a_restart_dropped_it(
    conversation: Conversation, alice: User, stream_backend: str
) -> None:
    reply = send(conversation, alice, "hello").reply
    writer, flaky = writer_for(reply)
    writer.on_delta("Hello")
    writer.persist()
    reply.refresh_from_db()
    old_cursor = reply.stream_cursor
    flaky.down = True
    writer.on_delta(", wor")
    streams.get_backend().clear(reply.pk)  # Redis came back empty (no persistence)
    flaky.down = False
    writer._stream_retry_at = 0.0
    writer.on_delta("ld")
    backend = streams.get_backend()
    entries = backend.read(reply.pk)
    assert [e.kind for e in entries] == [streams.RESET, streams.DELTA]
    assert entries[1].data == "Hello, world"
    # A reader that had "Hello" (cursor old_cursor) resumes: reset, then the whole text once.
    assert replay(backend.read(reply.pk, after=old_cursor)) == "Hello, world"


def test_a_reply_drains_its_buffer_before_it_ends(
    conversation: Conversation, alice: User, stream_backend: str
) -> None:
    reply = send(conversation, alice, "hello").reply
    writer, flaky = writer_for(reply)
    flaky.down = True
    writer.on_delta("All ")
    writer.on_delta("of it")
    flaky.down = False
    writer.drain()
    reply.refresh_from_db()
    assert replay(streams.get_backend().read(reply.pk)) == "All of it"
    assert reply.text == "All of it"


class _DownReader:
    async def read(self, *, after: str, block_ms: int) -> list[streams.Entry]:
        raise redis.exceptions.ConnectionError("Connection closed by server.")

    async def aclose(self) -> None:
        return None


def test_sse_tells_the_client_to_retry_when_redis_goes_away(
    conversation: Conversation,
    alice: User,
    alice_client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reply = send(conversation, alice, "hello").reply
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.STREAMING, text="Hi")
    backend = streams.get_backend()
    monkeypatch.setattr(backend, "reader", lambda message_id: _DownReader())
    events = read_stream(alice_client, stream_url(reply))
    # The persisted text first, then a clean end that says when to come back.
    assert events[0]["event"] == "delta"
    assert events[0]["data"] == {"text": "Hi"}
    assert events[-1]["retry"] == str(sse.RETRY_MS)
    assert all(e.get("event") not in {"done", "error"} for e in events)
