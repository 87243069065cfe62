"""JSON replies: what the dev model answers to `response_format` and the `[[json...]]` markers.

A `json_schema` request gets a value valid for its schema (schema_values.py), derived from the user
message that holds the text; `json_object` gets an object, valid for a schema when the system
prompt carries one (how a gateway without strict structured outputs asks for it). Markers script
the failures a caller must handle: `[[json: {...}]]` replies exactly that, `[[json_invalid]]`
replies JSON that breaks the schema (`[[json_invalid: 1]]` only on the first attempt, so a repair
request succeeds), `[[json_broken]]` replies text that is not JSON at all.

A repair request is the same conversation plus the model's answer and a follow-up user message, so
the markers are read from the earliest user message holding one, and each user message after it
counts one more attempt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from product.devmodel.schema_values import invalid_for, value_for

JSON_MARKER_RE = re.compile(
    r"\[\[\s*(json|json_invalid|json_broken)\s*(?::\s*(.*?))?\s*\]\](?!\])", re.DOTALL
)
BROKEN_JSON = 'Sure! Here is the JSON you asked for: {"answer": "unfinished'


@dataclass(frozen=True)
class JsonScript:
    literal: str | None = None
    invalid_attempts: int | None = None  # invalid on attempts 1..N; 0 when never
    always_invalid: bool = False
    broken: bool = False
    attempt: int = 1
    seed: str = ""

    @property
    def scripted(self) -> bool:
        return self.literal is not None or self.broken or self.invalid

    @property
    def invalid(self) -> bool:
        if self.always_invalid:
            return True
        return self.invalid_attempts is not None and self.attempt <= self.invalid_attempts


def json_script(user_texts: Sequence[str]) -> JsonScript:
    """The JSON markers of a conversation, and which attempt this request is."""
    for index, text in enumerate(user_texts):
        matches = list(JSON_MARKER_RE.finditer(text))
        if not matches:
            continue
        literal: str | None = None
        invalid_attempts: int | None = None
        always_invalid = broken = False
        for match in matches:
            name, arg = match.group(1), (match.group(2) or "").strip()
            if name == "json":
                literal = arg
            elif name == "json_invalid" and arg:
                invalid_attempts = int(arg)
            elif name == "json_invalid":
                always_invalid = True
            else:
                broken = True
        return JsonScript(
            literal=literal,
            invalid_attempts=invalid_attempts,
            always_invalid=always_invalid,
            broken=broken,
            attempt=len(user_texts) - index,
            seed=JSON_MARKER_RE.sub("", text),
        )
    return JsonScript(seed=user_texts[-1] if user_texts else "")


def _schema_in(text: str) -> dict[str, Any] | None:
    """A JSON Schema written into a prompt: the outermost `{...}` that parses and has the shape of
    one (a `type` or `properties`)."""
    start, end = text.find("{"), text.rfind("}")
    while start != -1 and end > start:
        try:
            found = json.loads(text[start : end + 1])
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(found, dict) and ("properties" in found or "type" in found):
            return found
        return None
    return None


def request_schema(response_format: Any, system: str) -> dict[str, Any] | None:
    """The schema a request asks for: the `json_schema` one, else one in the system prompt."""
    if not isinstance(response_format, Mapping):
        return None
    if response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        return dict(schema) if isinstance(schema, Mapping) else {"type": "object"}
    if response_format.get("type") == "json_object":
        return _schema_in(system)
    return None


def wants_json(response_format: Any) -> bool:
    return isinstance(response_format, Mapping) and response_format.get("type") in {
        "json_schema",
        "json_object",
    }


def json_reply(script: JsonScript, schema: Mapping[str, Any] | None) -> str:
    """The reply's text for a JSON request (or any request with a JSON marker)."""
    if script.broken:
        return BROKEN_JSON
    if script.invalid:
        if schema is None:
            return "[]"  # an array where an object was asked for
        return json.dumps(invalid_for(schema, script.seed))
    if script.literal is not None:
        return script.literal
    if schema is None:
        words = script.seed.split()
        return json.dumps({"answer": " ".join(words[:24])})
    return json.dumps(value_for(schema, script.seed))
