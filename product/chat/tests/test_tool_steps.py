"""A reply's tool steps: streamed as `tool` entries and persisted with the text up to its cursor."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from product.accounts.models import User
from product.chat import services, streams
from product.chat.models import Conversation, Message
from product.chat.tests.conftest import send
from product.chat.tests.test_redis_away import replay, writer_for
from product.chat.tests.test_sse import read_stream, stream_url
from product.llm import tool_loop

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
            tool_loop.upsert_step(shown, json.loads(entry.data))
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


# --- Readers -----------------------------------------------------------------------------------


def test_a_reader_without_a_cursor_gets_the_persisted_steps_then_the_text_then_the_rest(
    conversation: Conversation, alice: User, alice_client: Client, stream_backend: str
) -> None:
    reply = send(conversation, alice, "what time is it?").reply
    writer, _flaky = writer_for(reply)
    writer.on_tool(step("running"))
    writer.on_tool(step("ok"))
    writer.on_delta("It is ")
    writer.persist()
    writer.on_tool(step("running", call_id="call_2"))  # a step is persisted at once
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.STREAMING)
    # Not persisted yet (within 250 ms): the reader gets it from the stream, after the row's cursor.
    writer.on_delta("five.")
    backend = streams.get_backend()
    backend.append(reply.pk, streams.END, '{"status": "done"}')
    events = read_stream(alice_client, stream_url(reply))
    kinds = [(e["event"], e["data"].get("step", {}).get("id")) for e in events[:-1]]
    assert kinds == [
        ("tool", "call_1"),
        ("tool", "call_2"),
        ("delta", None),
        ("delta", None),
    ]
    first = events[0]
    assert first["data"]["step"] == step("ok")
    assert first["id"] == events[2]["id"], "the persisted state shares the row's cursor"
    assert 'data-tool-step="call_1"' in first["data"]["html"]
    assert "".join(e["data"]["text"] for e in events if e["event"] == "delta") == "It is five."


def test_a_reader_with_a_cursor_gets_the_tool_entries_after_it_in_order(
    conversation: Conversation, alice: User, alice_client: Client, stream_backend: str
) -> None:
    reply = send(conversation, alice, "what time is it?").reply
    writer, _flaky = writer_for(reply)
    writer.on_delta("Let me see. ")
    seen = writer.cursor
    writer.on_tool(step("running"))
    writer.on_tool(step("ok"))
    writer.on_delta("Five.")
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.STREAMING)
    streams.get_backend().append(reply.pk, streams.END, '{"status": "done"}')
    events = read_stream(alice_client, stream_url(reply) + f"?after={seen}")
    tools = [e for e in events if e["event"] == "tool"]
    assert [e["data"]["step"]["status"] for e in tools] == ["running", "ok"]
    assert all(e["id"] for e in tools)
    assert [e["event"] for e in events] == ["tool", "tool", "delta", "done"]


def test_a_finished_reply_shows_its_steps_above_the_text(
    conversation: Conversation, alice: User, alice_client: Client
) -> None:
    reply = send(conversation, alice, "what time is it?").reply
    failed = step("error", call_id="call_2", error="Unknown time zone 'Mars/Olympus'.")
    limit = {
        "id": "limit",
        "kind": "limit",
        "status": "limit",
        "step": 4,
        "error": "Stopped after 4 tool steps.",
    }
    Message.objects.filter(pk=reply.pk).update(
        status=Message.Status.DONE, text="It is five.", tool_steps=[step("ok"), failed, limit]
    )
    events = read_stream(alice_client, stream_url(reply))
    assert [e["event"] for e in events] == ["done"]
    message = events[0]["data"]["message"]
    assert [s["status"] for s in message["tool_steps"]] == ["ok", "error", "limit"]
    assert message["tool_steps"][0]["label"] == "Checked the time"
    page = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    for html in (events[0]["data"]["html"], page):
        steps_at, text_at = html.index("data-tool-steps"), html.index("It is five.")
        assert steps_at < text_at, "the steps come before the reply's text"
        assert "Checked the time" in html and "Done" in html and "3 ms" in html
        assert "&quot;timezone&quot;: &quot;Europe/Paris&quot;" in html, "pretty JSON, escaped"
        assert "Unknown time zone &#x27;Mars/Olympus&#x27;." in html and "Failed" in html
        assert "Stopped after 4 tool steps." in html


def test_a_step_the_model_fills_with_markup_is_shown_as_text(
    conversation: Conversation, alice: User, alice_client: Client
) -> None:
    reply = send(conversation, alice, "what time is it?").reply
    hostile = step(
        "ok", arguments='{"q": "<img src=x onerror=alert(1)>"', result="<script>x</script>"
    )
    Message.objects.filter(pk=reply.pk).update(
        status=Message.Status.DONE, text="Done.", tool_steps=[hostile]
    )
    html = read_stream(alice_client, stream_url(reply))[0]["data"]["html"]
    assert "<img" not in html and "<script>x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_page_shows_a_running_step_above_the_reply_being_written(
    conversation: Conversation, alice: User, alice_client: Client
) -> None:
    reply = send(conversation, alice, "what time is it?").reply
    writer, _flaky = writer_for(reply)
    writer.on_tool(step("running"))
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.STREAMING)
    page = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    article = page[page.index(f'id="message-{reply.pk}"') :]
    assert article.index("data-tool-steps") < article.index("data-stream-text")
    assert "Running…" in article and "tool-step-spinner" in article
    assert f'data-cursor="{writer.cursor}"' in article, "the stream resumes after the step"


def test_a_step_left_running_by_an_interrupted_reply_says_it_did_not_finish(
    conversation: Conversation, alice: User, alice_client: Client
) -> None:
    reply = send(conversation, alice, "what time is it?").reply
    Message.objects.filter(pk=reply.pk).update(
        status=Message.Status.FAILED, error_message="Interrupted.", tool_steps=[step("running")]
    )
    page = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    assert "Did not finish" in page and "tool-step-spinner" not in page
