"""Values valid for a JSON Schema, derived deterministically from a text: the dev model's typed output.

`value_for(schema, seed_text)` is what the dev model server answers to a `response_format`
`json_schema` request, and what it will put in a forced tool call's arguments. The same schema and
text always give the same value, so tests and evals can rely on it.

Covered: object (properties, required), string (enum, format date/date-time/email), integer and
number (minimum/maximum), boolean, null, array (items, minItems/maxItems), const, anyOf/oneOf/type
lists (the first non-null branch), $defs/definitions with local `$ref`. Strings come from the text
where a property's name appears in it as `name: value` ("Vendor: Acme Ltd", "total = 120.50"), so a
prompt decides what an extract holds; otherwise a few words of the text. Pure Python, no Django.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

DATE_RE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")
WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]*")
# Deep or cyclic $refs (a tree of nodes) stop here with the smallest valid value.
MAX_DEPTH = 8


def value_for(schema: Mapping[str, Any], seed_text: str) -> Any:
    """A value valid for `schema`, the same for the same schema and text."""
    return _Generator(schema, seed_text).value(schema, name="", depth=0)


def _digest(*parts: str) -> int:
    joined = "\0".join(parts).encode()
    return int.from_bytes(hashlib.sha256(joined).digest()[:8], "big")


class _Generator:
    def __init__(self, root: Mapping[str, Any], text: str) -> None:
        self.root = root
        self.text = text

    # --- schema plumbing ---------------------------------------------------------------------

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        seen = 0
        while "$ref" in schema and seen < MAX_DEPTH:
            ref = str(schema["$ref"])
            if not ref.startswith("#/"):
                return {}
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
            # Sibling keywords of a $ref (a description) do not change the value.
            schema = target if isinstance(target, Mapping) else {}
            seen += 1
        return schema

    def value(self, schema: Mapping[str, Any], *, name: str, depth: int) -> Any:
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return self.choose(list(schema["enum"]), name)
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                return self.value(_first_non_null(branches, self.resolve), name=name, depth=depth)
        if isinstance(schema.get("allOf"), list) and schema["allOf"]:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self.resolve(part))
            return self.value(merged, name=name, depth=depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"] or ["null"]
            kind = kinds[0]
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            return self.array(schema, name, depth)
        if kind == "string":
            return self.string(schema, name)
        if kind == "integer":
            return int(self.number(schema, name, integer=True))
        if kind == "number":
            return self.number(schema, name, integer=False)
        if kind == "boolean":
            return _digest(self.text, name, "bool") % 2 == 0
        return None

    # --- by type -----------------------------------------------------------------------------

    def object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        properties: Mapping[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        for key, sub in properties.items():
            # Past the depth limit only required properties are filled: a recursive schema ends.
            if depth >= MAX_DEPTH and key not in required:
                continue
            out[key] = self.value(sub, name=key, depth=depth + 1)
        return out

    def array(self, schema: Mapping[str, Any], name: str, depth: int) -> list[Any]:
        low = int(schema.get("minItems", 1 if depth < MAX_DEPTH else 0))
        high = int(schema.get("maxItems", max(low, 2)))
        count = max(low, min(high, 1 + _digest(self.text, name, "n") % 2))
        items = schema.get("items") or {}
        return [
            self.value(items, name=f"{name}[{index}]", depth=depth + 1) for index in range(count)
        ]

    def string(self, schema: Mapping[str, Any], name: str) -> str:
        fmt = schema.get("format")
        labelled = self.labelled(name)
        if fmt == "date":
            found = DATE_RE.search(labelled or "") or DATE_RE.search(self.text)
            return found.group(1) if found else "2026-01-01"
        if fmt == "date-time":
            found = DATE_RE.search(labelled or "") or DATE_RE.search(self.text)
            return f"{found.group(1) if found else '2026-01-01'}T00:00:00Z"
        if fmt == "email" or "email" in name.lower():
            found = EMAIL_RE.search(labelled or "") or EMAIL_RE.search(self.text)
            return found.group(0) if found else "someone@example.com"
        text = labelled if labelled is not None else self.words(name)
        low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")
        if len(text) < low:
            text = text.ljust(low, "x")
        if isinstance(high, int):
            text = text[:high]
        return text

    def number(self, schema: Mapping[str, Any], name: str, *, integer: bool) -> float:
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        labelled = self.labelled(name)
        found = NUMBER_RE.search(labelled) if labelled else None
        if found is not None:
            value = float(found.group(0))
        else:
            value = float(_digest(self.text, name, "num") % 100)
        if integer:
            value = float(round(value))
        if "exclusiveMinimum" in schema and value <= float(schema["exclusiveMinimum"]):
            value = float(schema["exclusiveMinimum"]) + 1
        elif low is not None and value < float(low):
            value = float(low)
        if "exclusiveMaximum" in schema and value >= float(schema["exclusiveMaximum"]):
            value = float(schema["exclusiveMaximum"]) - 1
        elif high is not None and value > float(high):
            value = float(high)
        return value

    # --- from the text -----------------------------------------------------------------------

    def labelled(self, name: str) -> str | None:
        return labelled_value(self.text, name)

    def words(self, name: str) -> str:
        words = WORD_RE.findall(self.text)
        if not words:
            return name or "value"
        start = _digest(self.text, name, "w") % len(words)
        return " ".join(words[start : start + 3])

    def choose(self, options: list[Any], name: str) -> Any:
        lowered = self.text.lower()
        for option in options:
            if isinstance(option, str) and option and option.lower() in lowered:
                return option
        return options[_digest(self.text, name, "enum") % len(options)]


def labelled_value(text: str, name: str) -> str | None:
    """The value after `name:` (or `name =`, `name is`) in the text, up to the line's end or a
    `;`/`,`: how a prompt states a field. Underscores in the name match spaces."""
    base = re.sub(r"\[\d+\]$", "", name)
    if not base:
        return None
    label = r"[\s_-]*".join(re.escape(part) for part in re.split(r"[_\s-]+", base) if part)
    pattern = re.compile(rf"\b{label}\b\s*(?::|=|\bis\b)\s*([^\n;,]+)", re.IGNORECASE)
    found = pattern.search(text)
    if found is None:
        return None
    value = found.group(1).strip().rstrip(".").strip()
    return value or None


def _first_non_null(branches: list[Any], resolve: Any) -> Mapping[str, Any]:
    for branch in branches:
        if isinstance(branch, Mapping) and resolve(branch).get("type") != "null":
            return branch
    first = branches[0]
    return first if isinstance(first, Mapping) else {}


def invalid_for(schema: Mapping[str, Any], seed_text: str) -> Any:
    """A value that violates `schema` in a way a validator names: the first required property is
    left out (or, for a schema with none, an object gets a wrong-typed property)."""
    generator = _Generator(schema, seed_text)
    root = generator.resolve(schema)
    value = generator.value(schema, name="", depth=0)
    required = list(root.get("required") or [])
    if isinstance(value, dict) and required:
        value.pop(required[0], None)
        return value
    if isinstance(value, dict) and value:
        key = next(iter(value))
        value[key] = [] if not isinstance(value[key], list) else "not a list"
        return value
    return {"unexpected": True} if not isinstance(value, dict) else [value]
