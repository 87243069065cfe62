"""Typed answers through the gateway: `complete_structured` returns a validated pydantic instance.

Where the catalog says the model takes it (`structured_outputs`), the request carries OpenAI's
`response_format` `json_schema` with `strict: true` (the schema made strict: every object closed,
every property required); elsewhere it asks for JSON mode (`json_object`) and puts the schema in a
system message. Either way the answer is checked with pydantic (`model_validate_json`): a model in
JSON mode can still answer the wrong shape, and a strict one can be cut off by `max_tokens`.

An invalid answer gets ONE repair attempt: the conversation plus the answer and a user message
listing what failed, asking for corrected JSON. Every attempt is a ledger row (the gateway's
`_drive`, with its retries); the invalid one carries the validation error, and the repair's row
has the prompt name suffixed `:repair`. The repair's worst case is added to the call's budget
reservation first (`quotas.extend`), so it cannot overshoot the budget. A second invalid answer
raises `StructuredOutputInvalid`, whose message names the fields.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pydantic

from product.accounts.models import User, Workspace
from product.llm import quotas
from product.llm.catalog import get_model
from product.llm.errors import StructuredOutputInvalid
from product.llm.gateway import (
    ChatResult,
    JobLink,
    _charge,
    _chat_attempt,
    _Context,
    _drive,
    _prepare,
    _request_attributes,
    _sampling,
)
from product.llm.models import BudgetReservation

M = TypeVar("M", bound=pydantic.BaseModel)
REPAIR_SUFFIX = ":repair"
SCHEMA_INSTRUCTIONS = (
    "Answer with one JSON object and nothing else: no prose, no code fence. "
    "It must be valid for this JSON Schema:\n"
)
# Keep the prompt short when a model answers with a wall of errors.
MAX_LISTED_ERRORS = 10


@dataclass
class StructuredResult(Generic[M]):
    """The validated answer, the numbers of the attempt that gave it, and every attempt's row."""

    value: M
    chat: ChatResult
    repaired: bool = False
    call_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def call_id(self) -> uuid.UUID:
        """The ledger row of the answering attempt."""
        return self.chat.call_id


def schema_name(schema: type[pydantic.BaseModel]) -> str:
    # OpenAI's rule for json_schema.name: letters, digits, `_` and `-`, at most 64.
    return re.sub(r"[^A-Za-z0-9_-]", "_", schema.__name__)[:64] or "answer"


def strict_schema(schema: type[pydantic.BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema in the form strict mode accepts: each object lists all its properties
    as required and allows no others; defaults dropped (an optional field is answered as null)."""

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, Mapping):
            return node
        out = {key: walk(value) for key, value in node.items() if key != "default"}
        if out.get("type") == "object" or "properties" in out:
            properties = out.get("properties") or {}
            out["properties"] = properties
            out["required"] = list(properties)
            out["additionalProperties"] = False
        return out

    result: dict[str, Any] = walk(schema.model_json_schema())
    return result


def describe_errors(error: pydantic.ValidationError) -> list[str]:
    """`field.path: message` per problem, in pydantic's order; the answer itself when not JSON."""
    lines: list[str] = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item.get("loc", ())) or "the answer"
        lines.append(f"{where}: {item.get('msg', 'invalid')}")
    return lines


def _repair_prompt(problems: list[str]) -> str:
    listed = "\n".join(f"- {line}" for line in problems[:MAX_LISTED_ERRORS])
    return (
        "Your answer was not valid for the required JSON Schema:\n"
        f"{listed}\n"
        "Reply with the corrected JSON object only."
    )


def _invalid(problems: list[str]) -> StructuredOutputInvalid:
    fields = sorted({line.split(":", 1)[0] for line in problems})
    return StructuredOutputInvalid(
        "The AI model's answer did not have the expected fields "
        f"({'; '.join(problems[:MAX_LISTED_ERRORS])}). "
        f"Fields that failed: {', '.join(fields)}. Please try again.",
        errors=problems,
    )


def complete_structured(
    *,
    workspace: Workspace,
    user: User | None,
    feature: str,
    messages: list[dict[str, str]],
    schema: type[M],
    prompt_name: str,
    prompt_version: str = "1",
    model: str | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    seed: int | None = None,
    reservation: BudgetReservation | None = None,
    job: JobLink | None = None,
) -> StructuredResult[M]:
    """A chat completion whose answer is an instance of `schema`; see the module docstring.

    The capability is the requested (primary) model's: a fallback model answers the same request.
    """
    owned = reservation is None
    model, max_tokens, reservation = _prepare(
        workspace=workspace,
        user=user,
        feature=feature,
        messages=messages,
        model=model,
        max_tokens=max_tokens,
        reservation=reservation,
        job=job,
    )
    json_schema = strict_schema(schema)
    sent: list[dict[str, str]]
    if get_model(model).structured_outputs:
        sent = list(messages)
        response_format: dict[str, Any] = {
            "type": "json_schema",
            "json_schema": {"name": schema_name(schema), "schema": json_schema, "strict": True},
        }
    else:
        instructions = SCHEMA_INSTRUCTIONS + json.dumps(json_schema, separators=(",", ":"))
        sent = [{"role": "system", "content": instructions}, *messages]
        response_format = {"type": "json_object"}
    options = {**_sampling(temperature, seed), "response_format": response_format}
    request = _request_attributes(max_tokens, temperature, seed)
    ctx = _Context(workspace, user, feature, prompt_name, prompt_version, job, sent)
    final_reservation = reservation
    # What the check parsed, and what it found wrong, for the attempt that just ran.
    parsed: list[M] = []
    problems: list[str] = []

    def check(text: str) -> str | None:
        parsed.clear()
        problems.clear()
        try:
            parsed.append(schema.model_validate_json(text))
        except pydantic.ValidationError as exc:
            problems.extend(describe_errors(exc))
            return "invalid structured output: " + "; ".join(problems)
        return None

    def attempt(conversation: list[dict[str, str]]) -> ChatResult:
        run = _chat_attempt(ctx, conversation, max_tokens=max_tokens, options=options, check=check)
        return _drive(model, run, request=request)

    def drive() -> StructuredResult[M]:
        first = attempt(sent)
        if parsed:
            return StructuredResult(parsed[0], first, call_ids=[call.id for call in ctx.calls])
        repair = [
            *sent,
            {"role": "assistant", "content": first.text},
            {"role": "user", "content": _repair_prompt(problems)},
        ]
        quotas.extend(final_reservation, messages=repair, model=model, max_tokens=max_tokens)
        ctx.prompt_name = prompt_name[: 128 - len(REPAIR_SUFFIX)] + REPAIR_SUFFIX
        ctx.messages = repair
        second = attempt(repair)
        if parsed:
            return StructuredResult(
                parsed[0], second, repaired=True, call_ids=[call.id for call in ctx.calls]
            )
        error = _invalid(list(problems))
        error.call_id = second.call_id
        raise error

    return _charge(reservation, ctx, drive, owned=owned)
