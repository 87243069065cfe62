"""Arbitrary Unicode, NUL included, in every text field of the UI's forms and of the API: never a
500, and either what is stored reads back as sent (after the documented trimming of surrounding
whitespace) or nothing is stored and the answer says why in words.

Each test posts one field through its real interface (Django's test client for the pages, JSON for
the API) and checks the row it created, if any, by the value it should hold."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from product.accounts.models import User, Workspace
from product.apikeys.models import ApiKey
from product.apikeys.tests.factories import bearer, make_key
from product.ask.models import Question
from product.chat import services as chat_services
from product.chat.models import Conversation, Message
from product.core.text import NUL, NUL_MESSAGE

# Any characters a client can send as UTF-8 (no lone surrogates), with NUL drawn often.
TEXT = st.lists(st.one_of(st.just(NUL), st.characters(exclude_categories=["Cs"])), max_size=40).map(
    "".join
)
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# What Django's form fields say about NUL (ProhibitNullCharactersValidator), and the rest.
FORM_NUL_MESSAGE = "Null characters are not allowed."


@pytest.fixture(autouse=True)
def _no_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def auth(alice: User, acme: Workspace) -> dict[str, Any]:
    return bearer(make_key(user=alice, workspace=acme, name="Property"))


def stored(text: str) -> str:
    """What a service keeps of a text: the text, without surrounding whitespace."""
    return text.strip()


def assert_refused_readably(response: Any, *fields: str) -> None:
    """Not a 500; an API refusal is an envelope with a message; and when NUL is the only thing
    wrong (every field is still non-blank without it), the answer says NUL is the problem."""
    assert response.status_code < 500, response.content
    body = response.content.decode()
    if response["Content-Type"].startswith("application/json"):
        assert response.json()["error"]["message"], body
    if any(NUL in field for field in fields) and all(
        stored(field.replace(NUL, "")) for field in fields
    ):
        assert NUL_MESSAGE in body or FORM_NUL_MESSAGE in body, body[:3000]


def api(client: Client, method: str, path: str, body: Any, auth: dict[str, Any]) -> Any:
    send: Callable[..., Any] = getattr(client, method)
    return send(path, data=json.dumps(body), content_type="application/json", **auth)


# --- The API ----------------------------------------------------------------------------------


@PROPERTY
@given(title=TEXT)
def test_api_conversation_title(client: Client, auth: dict[str, Any], title: str) -> None:
    response = api(client, "post", "/api/v1/conversations", {"title": title}, auth)
    if response.status_code == 201:
        conversation = Conversation.objects.get(pk=response.json()["id"])
        assert conversation.title == stored(title)[:80]
        renamed = api(
            client, "patch", f"/api/v1/conversations/{conversation.pk}", {"title": title}, auth
        )
        if renamed.status_code == 200:
            conversation.refresh_from_db()
            assert conversation.title == stored(title)
        else:
            assert_refused_readably(renamed, title)
    else:
        assert_refused_readably(response, title)
        assert response.status_code == 422


@PROPERTY
@given(text=TEXT)
def test_api_message_text(client: Client, auth: dict[str, Any], text: str) -> None:
    conversation = api(client, "post", "/api/v1/conversations", {}, auth).json()
    path = f"/api/v1/conversations/{conversation['id']}/messages"
    response = api(client, "post", path, {"text": text}, auth)
    if response.status_code == 202:
        message = Message.objects.get(pk=response.json()["user_message"]["id"])
        assert message.text == stored(text)
    else:
        assert_refused_readably(response, text)
        assert not Message.objects.filter(conversation_id=conversation["id"]).exists()


@PROPERTY
@given(text=TEXT, instruction=TEXT)
def test_api_question(client: Client, auth: dict[str, Any], text: str, instruction: str) -> None:
    before = Question.objects.count()
    body = {"text": text, "task": "custom", "instruction": instruction}
    response = api(client, "post", "/api/v1/questions", body, auth)
    if response.status_code == 202:
        question = Question.objects.get(pk=response.json()["id"])
        assert (question.text, question.instruction) == (text, stored(instruction))
    else:
        assert_refused_readably(response, text, instruction)
        assert Question.objects.count() == before


@PROPERTY
@given(name=TEXT)
def test_api_key_name(client: Client, auth: dict[str, Any], name: str) -> None:
    key = ApiKey.objects.get(name="Property") if name else ApiKey.objects.first()
    assert key is not None
    before = key.name
    response = api(client, "patch", f"/api/v1/keys/{key.pk}", {"name": name}, auth)
    key.refresh_from_db()
    if response.status_code == 200:
        assert key.name == (stored(name) or before)
        key.name = "Property"
        key.save(update_fields=["name"])
    else:
        assert_refused_readably(response, name)
        assert key.name == before


@PROPERTY
@given(q=TEXT)
def test_api_search(client: Client, auth: dict[str, Any], q: str) -> None:
    response = client.get("/api/v1/conversations", {"q": q}, **auth)
    if NUL in q:
        assert response.status_code == 422
        assert_refused_readably(response, q)
    else:
        assert response.status_code == 200


# --- The UI -----------------------------------------------------------------------------------


@PROPERTY
@given(text=TEXT, instruction=TEXT)
def test_ui_question_form(
    alice_client: Client, acme: Workspace, text: str, instruction: str
) -> None:
    before = Question.objects.count()
    form = {"text": text, "task": "custom", "instruction": instruction}
    response = alice_client.post("/ask/", form)
    if response.status_code == 302:
        question = Question.objects.latest("created_at")
        assert (question.text, question.instruction) == (stored(text), stored(instruction))
    else:
        assert_refused_readably(response, text, instruction)
        assert Question.objects.count() == before


@PROPERTY
@given(name=TEXT)
def test_ui_api_key_form(alice_client: Client, acme: Workspace, name: str) -> None:
    before = ApiKey.objects.count()
    response = alice_client.post("/keys/new/", {"name": name, "scopes": ["read"]})
    if response.status_code == 201:
        assert ApiKey.objects.latest("created_at").name == stored(name)
    else:
        assert_refused_readably(response, name)
        assert ApiKey.objects.count() == before


@PROPERTY
@given(name=TEXT)
def test_ui_workspace_form(alice_client: Client, acme: Workspace, name: str) -> None:
    before = Workspace.objects.count()
    response = alice_client.post("/workspaces/new/", {"name": name})
    if response.status_code == 302:
        assert Workspace.objects.latest("created_at").name == stored(name)
    else:
        assert_refused_readably(response, name)
        assert Workspace.objects.count() == before
    renamed = alice_client.post(f"/workspaces/{acme.pk}/edit/", {"name": name})
    acme.refresh_from_db()
    if renamed.status_code == 302:
        assert acme.name == stored(name)
    else:
        assert_refused_readably(renamed, name)


@PROPERTY
@given(text=TEXT)
def test_ui_chat_new_and_send(
    alice_client: Client, alice: User, acme: Workspace, text: str
) -> None:
    before = Message.objects.count()
    response = alice_client.post("/chat/new/", {"text": text})
    if response.status_code == 302:
        assert Message.objects.filter(role=Message.Role.USER).latest("created_at").text == (
            stored(text)
        )
    else:
        assert_refused_readably(response, text)
        assert Message.objects.count() == before
    conversation = chat_services.start_conversation(workspace=acme, user=alice, title="Launch")
    sent = alice_client.post(f"/chat/{conversation.pk}/messages/", {"text": text}, follow=True)
    if conversation.messages.exists():
        assert conversation.messages.get(role=Message.Role.USER).text == stored(text)
    else:
        assert_refused_readably(sent, text)


@PROPERTY
@given(title=TEXT, q=TEXT)
def test_ui_chat_rename_and_search(
    alice_client: Client, alice: User, acme: Workspace, title: str, q: str
) -> None:
    conversation = chat_services.start_conversation(workspace=acme, user=alice, title="Launch")
    response = alice_client.post(f"/chat/{conversation.pk}/rename/", {"title": title}, follow=True)
    assert response.status_code == 200
    conversation.refresh_from_db()
    if conversation.title != "Launch" or stored(title) == "Launch":
        assert conversation.title == stored(title)[:80]
    else:
        assert_refused_readably(response, title)
    assert alice_client.get("/chat/", {"q": q}).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/workspaces/invitations/ab%00c/",
        "/chat/?q=%00",
        "/chat/?fragment=%00&current=%00",
        "/ask/?fragment=%00",
        "/accounts/login/?next=%00",
        "/api/v1/messages/00000000-0000-0000-0000-000000000000/stream?after=%00",
    ],
)
def test_ui_other_inputs_with_nul(alice_client: Client, url: str) -> None:
    """The query parameters and path pieces the pages read without a form."""
    assert alice_client.get(url).status_code < 500


def test_ui_workspace_switch_with_nul(alice_client: Client, acme: Workspace) -> None:
    response = alice_client.post("/workspaces/switch/", {"workspace": NUL, "next": NUL})
    assert response.status_code < 500
