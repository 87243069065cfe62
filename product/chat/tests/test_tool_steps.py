"""A reply's tool steps: streamed as `tool` entries and persisted with the text up to its cursor."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from product.accounts.models import User
from product.chat import services, streams
from product.chat.models import Conversation, Message
from product.chat.tests.conftest import send
from product.chat.tests.test_redis_away import replay, writer_for

pytestmark = pytest.mark.usefixtures("devmodel_llm")


def step(status: str, call_id: str = "call_1", **more: Any) -> dict[str, Any]:
    """A ToolEvent as the tool loop reports it."""
    return {
        "id": call_id,
        "step": 1,
        "name": "current_time",
        "label": "Checked the time",
        "arguments": {"timezone": "Europe/Paris"},
        "status": status,
        "display": "" if status == "running" else "2026-12-02T05:00:00+01:00",
        "result": "" if status == "running" else "2026-12-02T05:00:00+01:00",
        "error": "",
        "elapsed_ms": None if status == "running" else 3,
        **more,
    }


def replay_steps(
    entries: list[streams.Entry], steps: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """What a reader shows of the steps after these entries: upserted by id, a reset clears."""
    shown = [dict(s) for s in steps or []]
    for entry in entries:
        if entry.kind == streams.RESET:
            shown = []
        elif entry.kind == streams.TOOL:
            services.upsert_step(shown, json.loads(entry.data))
    return shown


def restart_dropped_stream(reply: Message) -> None:
    """Redis came back empty (no persistence). A real restart takes longer than a millisecond:
    without the pause a new entry could get the id the writer's last entry had."""
    streams.get_backend().clear(reply.pk)
    time.sleep(0.002)


def test_it_streams_each_step_and_persists_the_latest_state_with_the_text(
    conversation: Conversation, alice: User, stream_backend: str
) -> None:
    reply = send(conversation, alice, "what time is it?").reply
    writer, _flaky = writer_for(reply)
    writer.on_delta("Let me check. ")
    writer.on_tool(step("running"))
    writer.on_tool(step("ok"))
    writer.on_delta("It is five.")
    writer.persist()
    entries = streams.get_backend().read(reply.pk)
    assert [e.kind for e in entries] == [streams.DELTA, streams.TOOL, streams.TOOL, streams.DELTA]
    assert json.loads(entries[1].data)["status"] == "running"
    reply.refresh_from_db()
    assert reply.tool_steps == [step("ok")], "one step per call id, in its latest state"
    assert (reply.text, reply.stream_cursor) == ("Let me check. It is five.", writer.cursor)


def test_it_persists_a_step_at_once_so_a_reload_shows_it_running(
    conversation: Conversation, alice: User, stream_backend: str
) -> None:
    reply = send(conversation, alice, "what time is it?").reply
    writer, _flaky = writer_for(reply)
    writer.on_tool(step("running"))
    reply.refresh_from_db()
    assert [s["status"] for s in reply.tool_steps] == ["running"]
    assert reply.stream_cursor == writer.cursor


def test_it_buffers_steps_while_redis_is_away_and_keeps_the_row_at_its_cursor(
    conversation: Conversation, alice: User, stream_backend: str
) -> None:
    reply = send(conversation, alice, "what time is it?").reply
    writer, flaky = writer_for(reply)
    writer.on_tool(step("running"))
    flaky.down = True
    writer.on_tool(step("ok"))
    writer.on_tool(step("running", call_id="call_2"))
    writer.on_delta("It is five.")
    reply.refresh_from_db()
    # The row says what the stream holds up to its cursor: the first step still running.
    assert [s["status"] for s in reply.tool_steps] == ["running"]
    assert (reply.text, reply.stream_cursor) == ("", writer.cursor)
    row_steps, row_cursor = reply.tool_steps, reply.stream_cursor
    flaky.down = False
    writer._stream_retry_at = 0.0
    writer.on_tool(step("ok", call_id="call_2"))
    backend = streams.get_backend()
    entries = backend.read(reply.pk)
    assert [e.kind for e in entries] == [streams.TOOL] * 3 + [streams.DELTA, streams.TOOL]
    # A reader that started from the row follows the stream after its cursor: exact state.
    after = backend.read(reply.pk, after=row_cursor)
    assert replay_steps(after, row_steps) == [step("ok"), step("ok", call_id="call_2")]
    assert replay(after) == "It is five."
    reply.refresh_from_db()
    assert reply.tool_steps == [step("ok"), step("ok", call_id="call_2")]


def test_it_replays_steps_and_text_when_a_restart_dropped_the_stream(
    conversation: Conversation, alice: User, stream_backend: str
) -> None:
    reply = send(conversation, alice, "what time is it?").reply
    writer, flaky = writer_for(reply)
    writer.on_tool(step("running"))
    writer.on_delta("It is ")
    old_cursor = writer.cursor
    flaky.down = True
    writer.on_tool(step("ok"))
    restart_dropped_stream(reply)
    flaky.down = False
    writer._stream_retry_at = 0.0
    writer.on_delta("five.")
    backend = streams.get_backend()
    entries = backend.read(reply.pk)
    assert [e.kind for e in entries] == [streams.RESET, streams.TOOL, streams.DELTA]
    # A reader that had the running step and "It is " resumes: reset, then everything once.
    after = backend.read(reply.pk, after=old_cursor)
    assert replay_steps(after, [step("running")]) == [step("ok")]
    assert replay(after) == "It is five."


def test_a_replay_cut_short_is_replayed_again(
    conversation: Conversation, alice: User, stream_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = send(conversation, alice, "what time is it?").reply
    writer, flaky = writer_for(reply)
    writer.on_tool(step("ok"))
    writer.on_delta("It is five.")
    flaky.down = True
    writer.on_delta(" Bye.")
    restart_dropped_stream(reply)
    backend = streams.get_backend()
    flaky.down = False
    appended: list[str] = []
    real_append = flaky.real.append

    def append_then_fail(message_id: Any, kind: str, data: str = "") -> str:
        # Redis goes away again right after the replay's `reset` entry.
        if appended == [streams.RESET]:
            flaky.down = True
            flaky._check()
        appended.append(kind)
        return real_append(message_id, kind, data)

    monkeypatch.setattr(flaky, "append", append_then_fail)
    monkeypatch.setattr(services, "STREAM_DRAIN_S", 0.05)  # Redis stays away for this drain
    writer._stream_retry_at = 0.0
    writer.drain()
    # The cut replay left the writer's cursor where it was, so the next try replays it all.
    flaky.down = False
    monkeypatch.setattr(flaky, "append", real_append)
    writer._stream_retry_at = 0.0
    writer.drain()
    entries = backend.read(reply.pk)
    assert replay(entries) == "It is five. Bye."
    assert replay_steps(entries) == [step("ok")]
    reply.refresh_from_db()
    assert (reply.text, reply.tool_steps) == ("It is five. Bye.", [step("ok")])


def test_a_step_still_running_when_the_reply_ends_is_stored_unfinished(
    conversation: Conversation, alice: User
) -> None:
    reply = send(conversation, alice, "what time is it?").reply
    writer, _flaky = writer_for(reply)
    writer.on_tool(step("ok"))
    writer.on_tool(step("running", call_id="call_2"))
    final = writer.final_steps()
    assert [s["status"] for s in final] == ["ok", "error"]
    assert final[1]["error"] == services.STEP_UNFINISHED
