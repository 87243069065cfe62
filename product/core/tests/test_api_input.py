"""What every API route does with input that is not what its schema says, in one place (KeelAPI):
a body that is not a JSON object is a 422, a body not sent as JSON is a 415, and a NUL anywhere
(body, query, path, declared header) is a 422 naming each field. Nothing is stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from product.accounts.models import User, Workspace
from product.apikeys.models import ApiKey
from product.apikeys.services import CreatedKey
from product.apikeys.tests.factories import bearer, make_key
from product.ask.models import Question
from product.chat.models import Conversation
from product.core.text import NUL_MESSAGE


@pytest.fixture
def created(alice: User, acme: Workspace) -> CreatedKey:
    return make_key(user=alice, workspace=acme, name="Deploy")


@pytest.fixture
def key(created: CreatedKey) -> ApiKey:
    return created.key


@pytest.fixture
def auth(created: CreatedKey) -> dict[str, Any]:
    return bearer(created)


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return dict(response.json()["error"])


def post_json(
    client: Client, path: str, body: Any, auth: dict[str, Any], method: str = "post"
) -> Any:
    send = getattr(client, method)
    return send(path, data=json.dumps(body), content_type="application/json", **auth)


@pytest.mark.parametrize("body", [[], "str", None, 123, [None, None], True])
def test_it_refuses_a_body_that_is_not_an_object(
    client: Client, auth: dict[str, Any], body: Any
) -> None:
    error = error_of(post_json(client, "/api/v1/conversations", body, auth), 422)
    assert error["code"] == "validation_error"
    assert error["details"] == [{"field": "body", "message": "A JSON object is required."}]
    assert not Conversation.objects.exists()


def test_it_does_not_rename_from_a_bare_string(client: Client, auth: dict[str, Any]) -> None:
    created = post_json(client, "/api/v1/conversations", {"title": "Launch"}, auth)
    assert created.status_code == 201
    path = f"/api/v1/conversations/{created.json()['id']}"
    error_of(post_json(client, path, "AAA", auth, method="patch"), 422)
    assert Conversation.objects.get().title == "Launch"


def test_it_refuses_an_empty_body_on_a_body_route(client: Client, auth: dict[str, Any]) -> None:
    response = client.generic(
        "POST", "/api/v1/conversations", b"", CONTENT_TYPE="application/json", **auth
    )
    assert error_of(response, 422)["details"][0]["field"] == "body"


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "multipart/form-data; boundary=x",
        "",
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/conversations"),
        ("post", "/api/v1/questions"),
        ("patch", "/api/v1/keys/{key}"),
    ],
)
def test_it_answers_415_to_a_body_not_sent_as_json(
    client: Client, key: ApiKey, auth: dict[str, Any], content_type: str, method: str, path: str
) -> None:
    send = getattr(client, method)
    response = send(
        path.format(key=key.pk),
        data=json.dumps({"title": "x", "text": "x", "name": "x"}),
        content_type=content_type,
        **auth,
    )
    error = error_of(response, 415)
    assert error["code"] == "unsupported_media_type"
    assert not Conversation.objects.exists()
    assert not Question.objects.exists()


def test_it_takes_json_with_a_charset(client: Client, auth: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/conversations",
        data=json.dumps({"title": "Launch"}),
        content_type="application/json; charset=utf-8",
        **auth,
    )
    assert response.status_code == 201


def test_it_asks_for_auth_before_it_looks_at_the_body(client: Client) -> None:
    response = client.post("/api/v1/conversations", data="x", content_type="text/plain")
    assert error_of(response, 401)["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("method", "path", "body", "fields"),
    [
        ("post", "/api/v1/conversations", {"title": "a\x00b"}, ["body.payload.title"]),
        ("post", "/api/v1/questions", {"text": "a\x00"}, ["body.payload.text"]),
        (
            "post",
            "/api/v1/questions",
            {"text": "\x00", "task": "custom", "instruction": "x\x00"},
            ["body.payload.text", "body.payload.instruction"],
        ),
        ("patch", "/api/v1/keys/{key}", {"name": "CI\x00"}, ["body.payload.name"]),
    ],
)
def test_it_refuses_nul_in_a_body_naming_each_field(
    client: Client,
    key: ApiKey,
    auth: dict[str, Any],
    method: str,
    path: str,
    body: dict[str, Any],
    fields: list[str],
) -> None:
    error = error_of(post_json(client, path.format(key=key.pk), body, auth, method=method), 422)
    assert error["code"] == "validation_error"
    assert error["message"] == NUL_MESSAGE
    assert error["details"] == [{"field": field, "message": NUL_MESSAGE} for field in fields]
    assert not Conversation.objects.exists()
    assert not Question.objects.exists()
    assert ApiKey.objects.get(pk=key.pk).name == "Deploy"


def test_it_drops_undeclared_properties_unread(client: Client, auth: dict[str, Any]) -> None:
    # The schema allows additional properties; nothing reads or stores them, so NUL there is moot.
    body = {"title": "Launch", "extra\x00": ["\x00"]}
    assert post_json(client, "/api/v1/conversations", body, auth).status_code == 201
    assert Conversation.objects.get().title == "Launch"


def test_it_refuses_nul_in_a_message(client: Client, auth: dict[str, Any]) -> None:
    created = post_json(client, "/api/v1/conversations", {}, auth).json()
    path = f"/api/v1/conversations/{created['id']}/messages"
    error = error_of(post_json(client, path, {"text": "hi\x00"}, auth), 422)
    assert error["details"] == [{"field": "body.payload.text", "message": NUL_MESSAGE}]
    renamed = post_json(
        client, f"/api/v1/conversations/{created['id']}", {"title": "\x00"}, auth, "patch"
    )
    assert error_of(renamed, 422)["details"][0]["field"] == "body.payload.title"


@pytest.mark.parametrize(
    ("query", "field"),
    [("q=a%00b", "query.q"), ("cursor=%00", "query.cursor"), ("q%00=1", "query.q\x00")],
)
def test_it_refuses_nul_in_a_query(
    client: Client, auth: dict[str, Any], query: str, field: str
) -> None:
    error = error_of(client.get(f"/api/v1/conversations?{query}", **auth), 422)
    assert error["details"] == [{"field": field, "message": NUL_MESSAGE}]


def test_it_refuses_nul_in_a_declared_header(client: Client, auth: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/questions",
        data=json.dumps({"text": "Keel"}),
        content_type="application/json",
        headers={"Idempotency-Key": "k\x00"},
        **auth,
    )
    assert error_of(response, 422)["details"] == [
        {"field": "header.Idempotency-Key", "message": NUL_MESSAGE}
    ]
    assert not Question.objects.exists()
