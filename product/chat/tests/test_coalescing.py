"""Deltas coalesced into fewer stream entries: the first at once, the rest by a deadline."""

from __future__ import annotations

import threading
import uuid

import pytest

from product.accounts.models import User
from product.chat import services, streams
from product.chat.models import Conversation, Message
from product.chat.tests.conftest import run_reply, send

pytestmark = pytest.mark.usefixtures("devmodel_llm")

# Long enough that the flusher's deadline never passes during a test: the tests call what the
# deadline would (flush_due) themselves, so nothing depends on timing.
NEVER_S = 3600.0
# The product's interval (the suite's fixture turns coalescing off for the other chat tests).
DEFAULT_COALESCE_S = services.STREAM_COALESCE_S


class MemoryBackend:
    """A stream that records its entries in this process (cursors "1", "2", ...)."""

    def __init__(self) -> None:
        self.entries: list[streams.Entry] = []

    def append(self, message_id: uuid.UUID, kind: str, data: str = "") -> str:
        cursor = str(len(self.entries) + 1)
        self.entries.append(streams.Entry(cursor=cursor, kind=kind, data=data))
        return cursor

    def last_cursor(self, message_id: uuid.UUID) -> str:
        return self.entries[-1].cursor if self.entries else ""

    def after(self, cursor: str) -> list[streams.Entry]:
        return [e for e in self.entries if int(e.cursor) > int(cursor or 0)]


def coalescing_writer(reply: Message) -> tuple[services._ReplyWriter, MemoryBackend]:
    writer = services._ReplyWriter(reply)
    memory = MemoryBackend()
    writer.backend = memory  # type: ignore[assignment]
    writer.coalesce_s = NEVER_S
    return writer, memory


def deltas(backend: MemoryBackend) -> list[str]:
    return [e.data for e in backend.entries if e.kind == streams.DELTA]


def test_it_appends_the_first_delta_at_once_and_the_rest_as_one_entry_at_the_deadline(
    conversation: Conversation, alice: User
) -> None:
    reply = send(conversation, alice, "hello").reply
    writer, memory = coalescing_writer(reply)
    writer.on_delta("Hel")
    assert deltas(memory) == ["Hel"], "the reader is waiting for the first one"
    writer.on_delta("lo, ")
    writer.on_delta("world")
    assert deltas(memory) == ["Hel"], "the rest waits for the deadline"
    writer.flush_due()  # what the flusher's thread does when the deadline passes
    assert deltas(memory) == ["Hel", "lo, world"]
    writer.drain()


def test_it_appends_at_once_when_the_buffer_is_large(
    conversation: Conversation, alice: User
) -> None:
    reply = send(conversation, alice, "hello").reply
    writer, memory = coalescing_writer(reply)
    writer.on_delta("a")
    big = "b" * services.STREAM_COALESCE_CHARS
    writer.on_delta(big)
    assert deltas(memory) == ["a", big]
    writer.drain()


def test_a_tool_step_goes_after_the_text_before_it(conversation: Conversation, alice: User) -> None:
    reply = send(conversation, alice, "hello").reply
    writer, memory = coalescing_writer(reply)
    writer.on_delta("Let me ")
    writer.on_delta("look.")
    writer.on_tool({"id": "call-1", "step": 1, "name": "current_time", "status": "running"})
    assert [(e.kind, e.data) for e in memory.entries[:2]] == [
        (streams.DELTA, "Let me "),
        (streams.DELTA, "look."),
    ]
    assert memory.entries[2].kind == streams.TOOL
    writer.drain()


def test_a_reader_from_the_row_resumes_without_loss_while_text_waits(
    conversation: Conversation, alice: User
) -> None:
    reply = send(conversation, alice, "hello").reply
    writer, memory = coalescing_writer(reply)
    writer.on_delta("One")
    writer.on_delta(" two")
    writer.persist()
    reply.refresh_from_db()
    # The row holds what goes with its cursor, never the text still waiting.
    assert (reply.text, reply.stream_cursor) == ("One", writer.cursor)
    writer.on_delta(" three")
    writer.drain()
    rest = "".join(e.data for e in memory.after(reply.stream_cursor) if e.kind == streams.DELTA)
    assert reply.text + rest == "One two three"
    writer.persist()
    reply.refresh_from_db()
    assert (reply.text, reply.stream_cursor) == ("One two three", memory.entries[-1].cursor)


def test_the_drain_appends_what_waits_and_the_flusher_then_appends_nothing(
    conversation: Conversation, alice: User
) -> None:
    reply = send(conversation, alice, "hello").reply
    writer, memory = coalescing_writer(reply)
    writer.on_delta("All")
    writer.on_delta(" of it")
    writer.drain()
    assert deltas(memory) == ["All", " of it"]
    writer.flush_due()  # a deadline that fires after the reply ended
    assert deltas(memory) == ["All", " of it"]


class _Recorder:
    message_id = uuid.uuid4()

    def __init__(self) -> None:
        self.flushed = threading.Event()

    def flush_due(self) -> None:
        self.flushed.set()


def test_the_flusher_keeps_a_deadline_without_another_delta() -> None:
    flusher = services._DeadlineFlusher()
    stalled = _Recorder()
    flusher.schedule(stalled, 0.0)  # type: ignore[arg-type]
    assert stalled.flushed.wait(timeout=10), "a stalled model's text is appended anyway"


@pytest.mark.usefixtures("stream_backend")
def test_a_whole_reply_streams_the_same_text_coalesced(
    conversation: Conversation, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "STREAM_COALESCE_S", DEFAULT_COALESCE_S)
    reply = run_reply(send(conversation, alice, "[[tokens: 40]]").reply)
    entries = streams.get_backend().read(reply.pk)
    assert entries[-1].kind == streams.END
    assert "".join(e.data for e in entries if e.kind == streams.DELTA) == reply.text
