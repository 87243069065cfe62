"""Server-Sent Events for one reply: what is persisted, then the live stream, then `done`.

The event format (docs/streaming.md):

    id: <cursor>            resume cursor: send it back as Last-Event-ID or ?after=
    event: delta            data: {"text": "..."}           append the text
    event: tool             data: {"step": {...}, "html": "..."}   a tool step, new or changed (by id)
    event: reset            data: {}                        a new attempt started: clear the text
    event: done             data: {"message": {...}, "html": "..."}   finished (done or stopped)
    event: error            data: {"error": {"code", "message"}, "message": {...}, "html": "..."}
    : keepalive             a comment every 15 s so proxies keep the connection open

Without a cursor a reader first gets the persisted tool steps (one `tool` event each) and the
persisted text as one `delta` (their id is the cursor of the last entry they include: all are
written together), then follows the stream from there.
A finished reply is served from the database without touching the stream, unless the reader
brings a cursor and the stream still holds entries after it (so a resume yields exactly the rest).
The iterator is async (under ASGI a sync one would be consumed whole before the first byte).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.template.loader import render_to_string

from product.chat import services, streams
from product.chat.models import Message
from product.core.resilience import REDIS_DOWN

logger = logging.getLogger(__name__)

HEARTBEAT_S = 15.0
# How long one blocking read waits before the reader checks on the reply's job.
BLOCK_MS = 5000
_CURSOR = re.compile(r"^[0-9]{1,20}(-[0-9]{1,20})?$")

RenderMessage = Callable[[Message], dict[str, Any]]


def clean_cursor(raw: str | None) -> str:
    raw = (raw or "").strip()
    return raw if _CURSOR.match(raw) else ""


def cursor_from_request(request: HttpRequest) -> str:
    """The browser's own reconnect sends Last-Event-ID; a fresh EventSource sends ?after=."""
    return clean_cursor(request.headers.get("Last-Event-ID")) or clean_cursor(
        request.GET.get("after")
    )


def format_event(event: str | None, data: Any = None, *, cursor: str = "") -> bytes:
    lines = []
    if cursor:
        lines.append(f"id: {cursor}")
    if event:
        lines.append(f"event: {event}")
    # JSON has no raw newlines, so one data line per event.
    lines.append("data: " + json.dumps(data if data is not None else {}, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


KEEPALIVE = b": keepalive\n\n"
# Sent before ending a response when the stream is unavailable: reconnect in RETRY_MS.
RETRY_MS = 2000
RETRY_LATER = f"retry: {RETRY_MS}\n: stream unavailable, reconnect\n\n".encode()


def _load(message_id: uuid.UUID) -> Message | None:
    message = (
        Message.objects.select_related("conversation__workspace").filter(pk=message_id).first()
    )
    if message is not None and not message.is_finished:
        message = services.reconcile_reply(message=message)
    return message


def tool_event(step: dict[str, Any], *, cursor: str = "") -> bytes:
    """A step as the page shows it (templates/chat/_tool_step.html) and as data, for clients that
    draw their own; upsert it by `step.id`."""
    html = render_to_string("chat/_tool_step.html", {"step": step})
    return format_event("tool", {"step": step, "html": html}, cursor=cursor)


def _final_event(message: Message, render: RenderMessage, cursor: str = "") -> bytes:
    payload = render(message)
    if message.status == Message.Status.FAILED:
        error = {"code": message.error_code, "message": message.error_message}
        return format_event("error", {"error": error, **payload}, cursor=cursor)
    return format_event("done", payload, cursor=cursor)


async def message_events(
    message: Message, *, after: str, render: RenderMessage
) -> AsyncIterator[bytes]:
    """The SSE body for one reply (see the module docstring)."""
    final = sync_to_async(_final_event)
    if message.is_finished and not after:
        yield await final(message, render)
        return
    backend = streams.get_backend()
    reader = backend.reader(message.pk)
    loop = asyncio.get_running_loop()
    last_sent = loop.time()
    try:
        if message.is_finished:
            # A resume after the end: the rest from the stream if it is still there, else the DB.
            block = 0
        else:
            block = BLOCK_MS
            if not after:
                for step in message.tool_steps or []:
                    yield tool_event(step, cursor=message.stream_cursor)
                if message.text:
                    yield format_event(
                        "delta", {"text": message.text}, cursor=message.stream_cursor
                    )
                after = message.stream_cursor
        while True:
            if block:
                entries = await reader.read(after=after, block_ms=block)
            else:
                entries = await sync_to_async(backend.read)(message.pk, after=after)
            for entry in entries:
                after = entry.cursor
                if entry.kind == streams.DELTA:
                    yield format_event("delta", {"text": entry.data}, cursor=entry.cursor)
                elif entry.kind == streams.TOOL:
                    yield tool_event(json.loads(entry.data), cursor=entry.cursor)
                elif entry.kind == streams.RESET:
                    yield format_event("reset", {}, cursor=entry.cursor)
                elif entry.kind == streams.END:
                    current = await sync_to_async(_load)(message.pk)
                    if current is None:
                        yield format_event("error", _gone())
                    else:
                        yield await final(current, render, entry.cursor)
                    return
            if entries:
                last_sent = loop.time()
                continue
            # Quiet: is the reply still alive? (A job the reaper gave up on never writes `end`.)
            current = await sync_to_async(_load)(message.pk)
            if current is None:
                yield format_event("error", _gone())
                return
            if current.is_finished:
                if block:
                    # It finished while we waited: its `end` entry follows; read without blocking.
                    block = 0
                    continue
                # Nothing after the cursor any more (the stream expired): serve the database.
                yield await final(current, render)
                return
            if loop.time() - last_sent >= HEARTBEAT_S:
                yield KEEPALIVE
                last_sent = loop.time()
    except asyncio.CancelledError:
        # The client went away (reload, tab closed, network): nothing to undo, it may resume.
        logger.debug("SSE reader for %s disconnected at %s", message.pk, after)
        raise
    except REDIS_DOWN as exc:
        # Redis is away (a restart, a failover). End this response cleanly and tell the browser
        # when to come back: EventSource reconnects with Last-Event-ID (or the page with
        # ?after=), and the resume starts at that cursor, so nothing is lost or repeated.
        logger.warning(
            "SSE reader for %s: stream unavailable (%s); client told to retry", message.pk, exc
        )
        yield RETRY_LATER
    finally:
        await reader.aclose()


def _gone() -> dict[str, Any]:
    return {
        "error": {"code": "not_found", "message": "This reply no longer exists."},
        "message": None,
        "html": "",
    }


def sse_response(events: AsyncIterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    # nginx and friends must not buffer the stream.
    response["X-Accel-Buffering"] = "no"
    return response


async def open_stream(
    request: HttpRequest,
    load: Callable[[], Message],
    render: RenderMessage,
) -> StreamingHttpResponse:
    """Load the message through its door (may raise Http404), then stream it."""
    try:
        message = await sync_to_async(load)()
    except Http404:
        raise
    return sse_response(message_events(message, after=cursor_from_request(request), render=render))
