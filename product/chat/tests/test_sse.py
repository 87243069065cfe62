"""The SSE body of a reply: its format (a committed expectation), resume, and the database path."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from product.accounts.models import User
from product.chat import streams
from product.chat.models import Conversation, Message
from product.chat.tests.conftest import run_reply, send

pytestmark = pytest.mark.usefixtures("devmodel_llm")

EXPECTATIONS = Path(__file__).parent / "sse_expectations"
SCRIPTED = "Say hi [[reply: Hello, **world**! Streams resume where they stopped.]]"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def parse_sse(body: bytes) -> list[dict[str, Any]]:
    events = []
    for block in body.decode().split("\n\n"):
        if not block.strip():
            continue
        event: dict[str, Any] = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                event["comment"] = line[1:].strip()
            else:
                name, _, value = line.partition(": ")
                event[name] = json.loads(value) if name == "data" else value
        events.append(event)
    return events


def read_stream(client: Client, url: str, **headers: Any) -> list[dict[str, Any]]:
    response = client.get(url, **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Accel-Buffering"] == "no"
    return parse_sse(consume(response))


def consume(response: Any) -> bytes:
    """Read an async streaming body from sync code (the view runs its queries in this thread)."""

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(collect)()


def normalise(events: list[dict[str, Any]]) -> str:
    """Mask what changes between runs (ids, times, cursors), keep everything else."""
    lines = []
    for event in events:
        data = json.loads(json.dumps(event.get("data")))
        message = data.get("message") if isinstance(data, dict) else None
        if message:
            for key in ("id", "conversation_id", "created_at", "finished_at", "stream_cursor"):
                message[key] = f"<{key}>"
            for key in ("latency_ms", "ttft_ms", "cost_usd"):
                message["usage"][key] = f"<{key}>"
        if isinstance(data, dict) and "html" in data:
            data["html"] = "<html>"
        cursor = "<cursor>" if event.get("id") else "-"
        lines.append(f"{event.get('event')} {cursor} {json.dumps(data, sort_keys=True)}")
    return "\n".join(lines) + "\n"


def stream_url(message: Message) -> str:
    return f"/chat/messages/{message.pk}/stream/"


def test_it_matches_the_committed_expectation(
    conversation: Conversation, alice: User, alice_client: Client, stream_backend: str
) -> None:
    reply = run_reply(send(conversation, alice, SCRIPTED).reply)
    # A cursor from before the first delta replays the whole stream from Redis/the table.
    first = streams.get_backend().read(reply.pk)[0].cursor
    before_first = "0-1" if stream_backend == "redis" else str(int(first) - 1)
    events = read_stream(alice_client, stream_url(reply) + f"?after={before_first}")
    expected_file = EXPECTATIONS / "scripted_reply.txt"
    body = normalise(events)
    if os.environ.get("KEEL_UPDATE_EXPECTATIONS"):
        expected_file.write_text(body)
    assert body == expected_file.read_text()
    done = events[-1]
    assert done["event"] == "done"
    assert "<strong>world</strong>" in done["data"]["html"]
    assert "".join(e["data"]["text"] for e in events if e.get("event") == "delta") == reply.text


def test_it_resumes_from_an_event_id_with_exactly_the_rest(
    conversation: Conversation, alice: User, alice_client: Client, stream_backend: str
) -> None:
    reply = run_reply(send(conversation, alice, "[[tokens: 40]]").reply)
    everything = [e for e in streams.get_backend().read(reply.pk) if e.kind == streams.DELTA]
    middle = len(everything) // 2
    seen = "".join(e.data for e in everything[: middle + 1])
    for how in ("query", "header"):
        url, headers = stream_url(reply), {}
        if how == "query":
            url += f"?after={everything[middle].cursor}"
        else:
            headers["HTTP_LAST_EVENT_ID"] = everything[middle].cursor
        events = read_stream(alice_client, url, **headers)
        rest = [e for e in events if e.get("event") == "delta"]
        assert [e["id"] for e in rest] == [e.cursor for e in everything[middle + 1 :]]
        assert seen + "".join(e["data"]["text"] for e in rest) == reply.text
        assert events[-1]["event"] == "done"


def test_it_serves_a_finished_reply_from_the_database(
    conversation: Conversation, alice: User, alice_client: Client, stream_backend: str
) -> None:
    reply = run_reply(send(conversation, alice, "[[reply: Finished.]]").reply)
    streams.get_backend().clear(reply.pk)  # proves the stream is not read
    events = read_stream(alice_client, stream_url(reply))
    assert [e["event"] for e in events] == ["done"]
    assert events[0]["data"]["message"]["text"] == "Finished."
    assert events[0]["data"]["message"]["status"] == "done"


def test_it_starts_from_the_persisted_text_without_a_cursor(
    conversation: Conversation, alice: User, alice_client: Client, stream_backend: str
) -> None:
    """Mid-reply, a fresh reader gets the persisted text, then only what came after it."""
    reply = send(conversation, alice, "hello").reply
    backend = streams.get_backend()
    first = backend.append(reply.pk, streams.DELTA, "Hello")
    backend.append(reply.pk, streams.DELTA, ", wor")
    Message.objects.filter(pk=reply.pk).update(
        status=Message.Status.STREAMING, text="Hello", stream_cursor=first
    )
    backend.append(reply.pk, streams.DELTA, "ld")
    backend.append(reply.pk, streams.END, '{"status": "done"}')
    events = read_stream(alice_client, stream_url(reply))
    deltas = [e for e in events if e.get("event") == "delta"]
    assert [e["data"]["text"] for e in deltas] == ["Hello", ", wor", "ld"]
    assert deltas[0]["id"] == first


def test_it_sends_an_error_event_for_a_failed_reply(
    conversation: Conversation, alice: User, alice_client: Client, settings: object
) -> None:
    settings.LLM_MAX_RETRIES = 0  # type: ignore[attr-defined]
    reply = run_reply(send(conversation, alice, "[[error: 400 message=bad]]").reply)
    events = read_stream(alice_client, stream_url(reply))
    assert events[-1]["event"] == "error"
    assert events[-1]["data"]["error"]["message"] == reply.error_message
    assert "Retry" in events[-1]["data"]["html"]


def test_it_resets_readers_when_a_new_attempt_starts(
    conversation: Conversation, alice: User, alice_client: Client
) -> None:
    reply = send(conversation, alice, "[[reply: Second try.]]").reply
    backend = streams.get_backend()
    early = backend.append(reply.pk, streams.DELTA, "First tr")
    Message.objects.filter(pk=reply.pk).update(
        status=Message.Status.STREAMING, text="First tr", stream_cursor=early
    )
    reply = run_reply(reply)  # the reaper re-ran the job: it starts over
    events = read_stream(alice_client, stream_url(reply) + f"?after={early}")
    assert events[0]["event"] == "reset"
    text = "".join(e["data"]["text"] for e in events if e.get("event") == "delta")
    assert text == "Second try."


def test_it_hides_streams_from_outsiders(
    conversation: Conversation, alice: User, charlie_client: Client
) -> None:
    reply = send(conversation, alice, "hello").reply
    assert charlie_client.get(stream_url(reply)).status_code == 404
    assert Client().get(stream_url(reply)).status_code == 401
