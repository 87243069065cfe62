"""JSON output from the dev model server, through the real `openai` SDK: plain and streamed."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "email": {"type": "string", "format": "email"},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
    },
    "required": ["name", "email", "age"],
    "additionalProperties": False,
}
JSON_SCHEMA_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "contact", "schema": SCHEMA, "strict": True},
}
TEXT = "Name: Ada Lovelace\nEmail: ada@example.org\nAge: 36"


def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="devmodel", max_retries=0)


def complete(base_url: str, messages: list[dict[str, str]], **kwargs: Any) -> str:
    completion = client(base_url).chat.completions.create(
        model="keel-dev-small",
        messages=messages,  # type: ignore[arg-type]
        **kwargs,
    )
    assert completion.choices[0].finish_reason == "stop"
    return completion.choices[0].message.content or ""


def streamed(base_url: str, messages: list[dict[str, str]], **kwargs: Any) -> list[str]:
    chunks = client(base_url).chat.completions.create(  # type: ignore[call-overload]
        model="keel-dev-small",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
        **kwargs,
    )
    pieces: list[str] = []
    finish = None
    usage = None
    for chunk in chunks:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            finish = choice.finish_reason or finish
    assert finish == "stop" and usage is not None and usage.completion_tokens > 0
    return pieces


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_a_json_schema_request_gets_json_valid_for_it_from_the_prompt(devmodel: str) -> None:
    text = complete(devmodel, user(TEXT), response_format=JSON_SCHEMA_FORMAT)
    assert json.loads(text) == {"name": "Ada Lovelace", "email": "ada@example.org", "age": 36}
    # Deterministic: the same prompt, the same JSON.
    assert complete(devmodel, user(TEXT), response_format=JSON_SCHEMA_FORMAT) == text


def test_a_streamed_json_schema_reply_comes_in_pieces(devmodel: str) -> None:
    pieces = streamed(devmodel, user(TEXT), response_format=JSON_SCHEMA_FORMAT)
    assert len(pieces) > 3
    plain = complete(devmodel, user(TEXT), response_format=JSON_SCHEMA_FORMAT)
    assert "".join(pieces) == plain


def test_json_object_follows_a_schema_in_the_system_prompt(devmodel: str) -> None:
    messages = [
        {
            "role": "system",
            "content": f"Answer with JSON matching this schema: {json.dumps(SCHEMA)}",
        },
        {"role": "user", "content": TEXT},
    ]
    text = complete(devmodel, messages, response_format={"type": "json_object"})
    assert json.loads(text)["email"] == "ada@example.org"


def test_json_object_without_a_schema_is_still_an_object(devmodel: str) -> None:
    text = complete(devmodel, user("Tell me about Keel"), response_format={"type": "json_object"})
    assert json.loads(text) == {"answer": "Tell me about Keel"}


def test_the_json_marker_replies_exactly_that(devmodel: str) -> None:
    text = complete(
        devmodel, user('[[json: {"name": "X", "age": [1]}]]'), response_format=JSON_SCHEMA_FORMAT
    )
    assert text == '{"name": "X", "age": [1]}'


@pytest.mark.parametrize("stream", [False, True])
def test_json_invalid_leaves_a_required_field_out(devmodel: str, stream: bool) -> None:
    messages = user(f"{TEXT} [[json_invalid]]")
    if stream:
        text = "".join(streamed(devmodel, messages, response_format=JSON_SCHEMA_FORMAT))
    else:
        text = complete(devmodel, messages, response_format=JSON_SCHEMA_FORMAT)
    assert json.loads(text) == {"email": "ada@example.org", "age": 36}


def test_json_invalid_once_is_valid_on_the_repair_attempt(devmodel: str) -> None:
    first = user(f"{TEXT} [[json_invalid: 1]]")
    answer = complete(devmodel, first, response_format=JSON_SCHEMA_FORMAT)
    assert "name" not in json.loads(answer)
    repair = [
        *first,
        {"role": "assistant", "content": answer},
        {"role": "user", "content": "name: Field required. Answer with corrected JSON."},
    ]
    repaired = json.loads(complete(devmodel, repair, response_format=JSON_SCHEMA_FORMAT))
    assert repaired["name"] == "Ada Lovelace"
    # Always invalid stays invalid on the repair.
    again = [{"role": "user", "content": f"{TEXT} [[json_invalid]]"}, *repair[1:]]
    assert "name" not in json.loads(complete(devmodel, again, response_format=JSON_SCHEMA_FORMAT))


def test_json_broken_is_not_json(devmodel: str) -> None:
    text = complete(devmodel, user("[[json_broken]]"), response_format=JSON_SCHEMA_FORMAT)
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_without_response_format_the_reply_is_prose(devmodel: str) -> None:
    assert complete(devmodel, user(TEXT)).startswith("Echo:")
