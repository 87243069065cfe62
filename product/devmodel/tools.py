"""Tool calls: when the dev model calls a tool, which call, and what it says after the results.

A request offers `tools` (OpenAI's `[{"type": "function", "function": {name, description,
parameters}}]`) and a `tool_choice`. The decision is a pure function of the request, so a test can
script a whole tool loop:

- markers in the last user message: `[[tool: NAME {"json": "args"}]]` (several = parallel calls in
  one step), `[[tool_malformed: NAME]]` (arguments that are not JSON), `[[tool_steps: N]]` (call
  again for N steps), `[[tool_loop]]` (never stop);
- markers in the latest step's tool results are obeyed for the next step, as a gullible model obeys
  text injected into a document or a tool's output;
- `tool_choice` "required" (the first offered tool) or a named function: always that call;
  "none": never a call;
- "auto" without markers: on the first step, the first offered tool one of whose name's words
  (of 4+ letters, split on `_`) the user wrote ("search" -> search_documents).

After the results the answer is text: grounded in the results' `<sources>` blocks (grounded.py),
"I used NAME: ..." for a plain result, "The tool NAME failed: ..." for one starting "Error:".
Pure Python, no Django: the server (server.py) puts the decision on the wire.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from product.devmodel.grounded import (
    SOURCES_RE,
    SourcePassage,
    grounded_reply_from,
    parse_passages,
)
from product.devmodel.schema_values import labelled_value, value_for
from product.devmodel.words import stem

# `(?!\])`: the marker ends at the first `]]` not followed by another `]`, so args may end in `]`.
TOOL_MARKER_RE = re.compile(
    r"\[\[\s*(tool|tool_malformed|tool_steps|tool_loop)\s*(?::\s*(.*?))?\s*\]\](?!\])", re.DOTALL
)
ANY_MARKER_RE = re.compile(r"\[\[.*?\]\]", re.DOTALL)
NAME_WORD_RE = re.compile(r"[a-z]+")
# A function name as OpenAI allows it, then the optional JSON arguments.
TOOL_ARG_RE = re.compile(r"([A-Za-z0-9_.-]+)\s*(.*)", re.DOTALL)
MIN_NAME_WORD = 4
RESULT_EXCERPT_CHARS = 200
ERROR_PREFIX = "Error:"


class ToolRequestError(ValueError):
    """The request's tools, tool_choice or tool messages are not what OpenAI accepts (a 400)."""


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # the JSON text the wire carries; not JSON at all for a malformed call

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True)
class _CallSpec:
    name: str
    arguments: Any = None  # parsed JSON from the marker; None: generate from the schema
    malformed: bool = False
    fill_strings: bool = False  # auto: strings the prompt does not label get the whole prompt


@dataclass
class ToolScript:
    """What the tool markers of one text asked for."""

    calls: list[_CallSpec] = field(default_factory=list)
    steps: int | None = None
    loop: bool = False


@dataclass(frozen=True)
class ToolResult:
    name: str
    content: str


@dataclass(frozen=True)
class Choice:
    mode: str  # "auto", "none", "required" or "named"
    name: str = ""


def parse_tool_script(text: str) -> ToolScript:
    """The tool markers of a text. Raises ValueError on args that are not JSON."""
    script = ToolScript()
    for match in TOOL_MARKER_RE.finditer(text):
        marker, arg = match.group(1), (match.group(2) or "").strip()
        if marker == "tool_loop":
            script.loop = True
        elif marker == "tool_steps":
            script.steps = int(arg)
        elif marker == "tool_malformed":
            script.calls.append(_CallSpec(arg.split()[0], malformed=True))
        else:
            named = TOOL_ARG_RE.fullmatch(arg)
            if named is None:
                raise ValueError("[[tool: ...]] needs a tool name")
            name, raw_args = named.group(1), named.group(2)
            arguments = json.loads(raw_args) if raw_args.strip() else None
            if arguments is not None and not isinstance(arguments, dict):
                raise ValueError(f"[[tool: {name} ...]] arguments must be a JSON object")
            script.calls.append(_CallSpec(name, arguments))
    return script


def strip_all_markers(text: str) -> str:
    return ANY_MARKER_RE.sub("", text).strip()


# --- reading the request -------------------------------------------------------------------------


def content_text(content: Any) -> str:
    """A message's text: a string, or the text parts of a list; "" for null (a tool-call turn)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def last_user_index(messages: Sequence[Mapping[str, Any]]) -> int:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user":
            return index
    return -1


def _calls_of(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    calls = message.get("tool_calls") if message.get("role") == "assistant" else None
    return [call for call in calls if isinstance(call, Mapping)] if isinstance(calls, list) else []


def steps_taken(messages: Sequence[Mapping[str, Any]]) -> int:
    """Assistant messages carrying tool calls after the last user message."""
    after = messages[last_user_index(messages) + 1 :]
    return sum(1 for message in after if _calls_of(message))


def tool_results(
    messages: Sequence[Mapping[str, Any]], *, latest_step_only: bool = False
) -> list[ToolResult]:
    """The tool messages after the last user message (or after the last tool-call turn), each
    named by the call it answers."""
    start = last_user_index(messages) + 1
    if latest_step_only:
        for index in range(len(messages) - 1, start - 1, -1):
            if _calls_of(messages[index]):
                start = index + 1
                break
    names: dict[str, str] = {}
    results: list[ToolResult] = []
    for message in messages[start:]:
        for call in _calls_of(message):
            function = call.get("function") or {}
            names[str(call.get("id"))] = str(function.get("name") or "the tool")
        if message.get("role") == "tool":
            name = names.get(str(message.get("tool_call_id")), str(message.get("name") or "tool"))
            results.append(ToolResult(name, content_text(message.get("content"))))
    return results


def scripting_texts(messages: Sequence[Mapping[str, Any]]) -> list[str]:
    """The tool messages after the last user message: their markers script the server too."""
    return [result.content for result in tool_results(messages)]


def validate_messages(messages: Sequence[Mapping[str, Any]]) -> None:
    """OpenAI's rule: an assistant turn's tool calls are each answered by a tool message right
    after it, and a tool message answers a call of that turn. Raises ToolRequestError."""
    pending: set[str] = set()
    open_turn = False
    for message in messages:
        role = message.get("role")
        if role == "tool":
            call_id = str(message.get("tool_call_id") or "")
            if not open_turn or call_id not in pending:
                raise ToolRequestError(
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceding message with 'tool_calls' (unknown tool_call_id "
                    f"{call_id!r})."
                )
            pending.discard(call_id)
            continue
        if pending:
            raise ToolRequestError(
                "An assistant message with 'tool_calls' must be followed by tool messages "
                "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                f"response messages: {', '.join(sorted(pending))}"
            )
        calls = _calls_of(message)
        open_turn = bool(calls)
        pending = {str(call.get("id")) for call in calls}
    if pending:
        raise ToolRequestError(
            "An assistant message with 'tool_calls' must be followed by tool messages responding "
            f"to each 'tool_call_id'. The following tool_call_ids did not have response "
            f"messages: {', '.join(sorted(pending))}"
        )


def offered_tools(tools: Any) -> dict[str, Mapping[str, Any]]:
    """Tool name -> its parameters schema, in the order offered. Raises ToolRequestError."""
    if tools is None:
        return {}
    if not isinstance(tools, list):
        raise ToolRequestError("Invalid 'tools': expected an array.")
    offered: dict[str, Mapping[str, Any]] = {}
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if (
            not isinstance(tool, Mapping)
            or tool.get("type") != "function"
            or not isinstance(function, Mapping)
            or not isinstance(function.get("name"), str)
        ):
            raise ToolRequestError(
                f"Invalid 'tools[{index}]': expected {{'type': 'function', 'function': "
                "{'name': ..., 'parameters': ...}}."
            )
        parameters = function.get("parameters")
        offered[function["name"]] = parameters if isinstance(parameters, Mapping) else {}
    return offered


def parse_choice(tool_choice: Any, offered: Mapping[str, Any]) -> Choice:
    """The request's tool_choice, checked against the tools. Raises ToolRequestError."""
    if tool_choice is None or tool_choice == "auto":
        return Choice("auto")
    if tool_choice in ("none", "required"):
        if tool_choice == "required" and not offered:
            raise ToolRequestError(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' "
                "are specified."
            )
        return Choice(str(tool_choice))
    function = tool_choice.get("function") if isinstance(tool_choice, Mapping) else None
    name = function.get("name") if isinstance(function, Mapping) else None
    if not isinstance(name, str):
        raise ToolRequestError(
            "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or "
            "{'type': 'function', 'function': {'name': ...}}."
        )
    if name not in offered:
        raise ToolRequestError(
            f"Invalid value for 'tool_choice': no function named {name!r} was specified in 'tools'."
        )
    return Choice("named", name)


# --- the decision --------------------------------------------------------------------------------


def matching_tool(offered: Mapping[str, Any], user_text: str) -> str | None:
    """The first offered tool with a name word (4+ letters) the user wrote, folded alike."""
    said = {stem(word) for word in NAME_WORD_RE.findall(user_text.lower())}
    for name in offered:
        words = [w for w in NAME_WORD_RE.findall(name.lower()) if len(w) >= MIN_NAME_WORD]
        if any(stem(word) in said for word in words):
            return name
    return None


def _call_id(key: str, step: int, index: int) -> str:
    digest = hashlib.sha256(f"{key}\0{step}\0{index}".encode()).hexdigest()
    return f"call_{digest[:24]}"


def _arguments(spec: _CallSpec, parameters: Mapping[str, Any], seed: str) -> str:
    if spec.arguments is not None:
        return json.dumps(spec.arguments)
    schema = parameters or {"type": "object", "properties": {}}
    value = value_for(schema, seed)
    if spec.fill_strings and isinstance(value, dict):
        value = _filled(value, schema, seed)
    valid = json.dumps(value)
    if spec.malformed:
        # Cut after the first key, as a model that stopped mid-object would: `{"query": `.
        colon = valid.find(":")
        return valid[: colon + 2] if colon != -1 else valid[:1]
    return valid


def _filled(value: dict[str, Any], schema: Mapping[str, Any], seed: str) -> dict[str, Any]:
    """Plain string properties the prompt does not label take the whole prompt: a search query
    is the question, not three words of it. One with a default keeps it, as a model leaves an
    optional argument alone (a time zone is not the whole question)."""
    properties = schema.get("properties") or {}
    for key, sub in properties.items():
        if not isinstance(sub, Mapping) or key not in value or not seed:
            continue
        if "default" in sub and labelled_value(seed, key) is None:
            value[key] = sub["default"]
            continue
        plain = sub.get("type") == "string" and not (
            {"enum", "const", "format", "pattern", "$ref"} & set(sub)
        )
        if plain and labelled_value(seed, key) is None:
            text = seed.ljust(int(sub.get("minLength", 0)), "x")
            high = sub.get("maxLength")
            value[key] = text[:high] if isinstance(high, int) else text
    return value


def decide_calls(
    messages: Sequence[Mapping[str, Any]],
    *,
    tools: Any,
    tool_choice: Any,
    parallel: bool = True,
    user_text: str,
) -> list[ToolCall]:
    """The tool calls this request answers with; [] for a text answer. Raises ValueError on a
    bad marker and ToolRequestError on a request OpenAI would refuse."""
    offered = offered_tools(tools)
    choice = parse_choice(tool_choice, offered)
    validate_messages(messages)
    if choice.mode == "none":
        return []
    step = steps_taken(messages)
    script = parse_tool_script(user_text)
    injected = parse_tool_script(
        "\n".join(r.content for r in tool_results(messages, latest_step_only=True))
    )
    repeats = script.loop or step < (script.steps or 1)
    specs: list[_CallSpec] = list(script.calls) if repeats else []
    specs += injected.calls
    seed = strip_all_markers(user_text)
    if not specs:
        if choice.mode == "named":
            specs = [_CallSpec(choice.name)]
        elif choice.mode == "required":
            specs = [_CallSpec(next(iter(offered)))]
        elif offered and repeats:
            # tool_steps/tool_loop without a tool marker repeat the call auto would make, or
            # the first offered tool's when no name matches.
            name = matching_tool(offered, seed)
            if name is None and (script.loop or script.steps is not None):
                name = next(iter(offered))
            specs = [_CallSpec(name, fill_strings=True)] if name else []
    if not specs:
        return []
    if not parallel:
        specs = specs[:1]
    key = json.dumps(list(messages[: last_user_index(messages) + 1]), sort_keys=True, default=str)
    return [
        ToolCall(
            _call_id(key, step, index),
            spec.name,
            _arguments(spec, offered.get(spec.name, {}), seed),
        )
        for index, spec in enumerate(specs)
    ]


# --- after the results ---------------------------------------------------------------------------


def _excerpt(text: str) -> str:
    flat = " ".join(strip_all_markers(text).split())
    if len(flat) > RESULT_EXCERPT_CHARS:
        flat = flat[:RESULT_EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
    return flat.rstrip(".")


CITED_RE = re.compile(r"\[\d+\]")


def _all_passages(messages: Sequence[Mapping[str, Any]]) -> list[SourcePassage]:
    """The passages of every sources block (the system's upfront ones and the tools'), one per
    number, the latest winning: tool results number theirs after the upfront ones."""
    by_number: dict[int, SourcePassage] = {}
    for message in messages:
        for block in SOURCES_RE.findall(content_text(message.get("content"))):
            for passage in parse_passages(block):
                by_number[passage.number] = passage
    return [by_number[number] for number in sorted(by_number)]


def answer_after_tools(messages: Sequence[Mapping[str, Any]], question: str) -> str | None:
    """The text answer once tools have answered; None when no tool result follows the last user
    message. `question` is the last user message without markers or sources."""
    results = tool_results(messages)
    if not results:
        return None
    parts: list[str] = []
    grounded = False
    for result in results:
        content = result.content.strip()
        if content.startswith(ERROR_PREFIX):
            error = _excerpt(content[len(ERROR_PREFIX) :]) or "no reason given"
            parts.append(f"The tool {result.name} failed: {error}.")
        elif SOURCES_RE.search(content) or (
            # "Also matched, already in your sources: [1]": a search that found passages the
            # model was shown before answers from them, as a search with new ones does.
            CITED_RE.search(content) and _all_passages(messages)
        ):
            if not grounded:
                parts.append(grounded_reply_from(question, _all_passages(messages)))
                grounded = True
        else:
            parts.append(f"I used {result.name}: {_excerpt(content) or '(nothing)'}.")
    return " ".join(parts)


def completion_tokens_text(calls: Sequence[ToolCall]) -> str:
    """What a tool-call answer 'wrote', for its usage: the names and the arguments."""
    return "\n".join(f"{call.name}\n{call.arguments}" for call in calls)
