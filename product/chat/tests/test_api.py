from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from product.accounts.models import User, Workspace
from product.apikeys.tests.factories import bearer, make_key
from product.chat.models import Conversation, Message
from product.chat.tests.conftest import run_reply, send
from product.chat.tests.test_sse import consume, parse_sse

pytestmark = pytest.mark.usefixtures("devmodel_llm")


@pytest.fixture
def auth(alice: User, acme: Workspace) -> dict[str, Any]:
    return bearer(make_key(user=alice, workspace=acme))


def post(client: Client, url: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(url, body, content_type="application/json", **headers)


def test_it_creates_lists_reads_renames_and_deletes(client: Client, auth: dict[str, Any]) -> None:
    created = post(client, "/api/v1/conversations", {"title": "API chat"}, **auth)
    assert created.status_code == 201
    conversation_id = created.json()["id"]
    listed = client.get("/api/v1/conversations", **auth).json()
    assert [c["id"] for c in listed["items"]] == [conversation_id]
    assert (
        client.get(f"/api/v1/conversations/{conversation_id}", **auth).json()["title"] == "API chat"
    )
    renamed = client.patch(
        f"/api/v1/conversations/{conversation_id}",
        {"title": "Renamed"},
        content_type="application/json",
        **auth,
    )
    assert renamed.json()["title"] == "Renamed"
    assert client.delete(f"/api/v1/conversations/{conversation_id}", **auth).status_code == 204
    assert not Conversation.objects.exists()


def test_it_sends_a_message_and_streams_the_reply(
    client: Client, auth: dict[str, Any], conversation: Conversation
) -> None:
    sent = post(
        client,
        f"/api/v1/conversations/{conversation.pk}/messages",
        {"text": "[[reply: Over the API.]]"},
        **auth,
    )
    assert sent.status_code == 202
    body = sent.json()
    assert body["user_message"]["text"] == "[[reply: Over the API.]]"
    assert body["reply"]["status"] == "queued"
    reply = run_reply(Message.objects.get(pk=body["reply"]["id"]))
    response = client.get(body["stream_url"], **auth)
    assert response.status_code == 200
    events = parse_sse(consume(response))
    assert events[-1]["event"] == "done"
    assert events[-1]["data"]["message"]["text"] == "Over the API."
    read = client.get(f"/api/v1/messages/{reply.pk}", **auth).json()
    assert read["status"] == "done"
    assert read["usage"]["output_tokens"] > 0
    listed = client.get(f"/api/v1/conversations/{conversation.pk}/messages", **auth).json()["items"]
    assert [m["role"] for m in listed] == ["user", "assistant"]


def test_it_honours_the_idempotency_key(
    client: Client, auth: dict[str, Any], conversation: Conversation
) -> None:
    url = f"/api/v1/conversations/{conversation.pk}/messages"
    first = post(client, url, {"text": "once"}, HTTP_IDEMPOTENCY_KEY="k1", **auth)
    again = post(client, url, {"text": "once"}, HTTP_IDEMPOTENCY_KEY="k1", **auth)
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert conversation.messages.count() == 2
    other = post(client, url, {"text": "different"}, HTTP_IDEMPOTENCY_KEY="k1", **auth)
    assert other.status_code == 409


def test_it_answers_409_while_a_reply_runs(
    client: Client, auth: dict[str, Any], conversation: Conversation
) -> None:
    url = f"/api/v1/conversations/{conversation.pk}/messages"
    post(client, url, {"text": "one"}, **auth)
    busy = post(client, url, {"text": "two"}, **auth)
    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "reply_in_progress"


def test_it_answers_429_over_quota(
    client: Client, auth: dict[str, Any], conversation: Conversation, settings: object
) -> None:
    settings.LLM_WORKSPACE_MONTHLY_BUDGET_USD = Decimal("0")  # type: ignore[attr-defined]
    response = post(
        client, f"/api/v1/conversations/{conversation.pk}/messages", {"text": "hi"}, **auth
    )
    assert response.status_code == 429
    assert "Retry-After" in response
    assert not conversation.messages.exists()


def test_it_stops_and_regenerates(
    client: Client, auth: dict[str, Any], alice: User, conversation: Conversation
) -> None:
    reply = send(conversation, alice, "[[reply: Hi]]").reply
    stopped = post(client, f"/api/v1/messages/{reply.pk}/stop", {}, **auth)
    assert stopped.json()["status"] == "stopped"
    again = post(client, f"/api/v1/messages/{reply.pk}/regenerate", {}, **auth)
    assert again.status_code == 202
    assert again.json()["status"] == "queued"


def test_it_streams_to_a_browser_session(
    alice_client: Client, alice: User, conversation: Conversation
) -> None:
    reply = run_reply(send(conversation, alice, "[[reply: Session.]]").reply)
    events = parse_sse(consume(alice_client.get(f"/api/v1/messages/{reply.pk}/stream")))
    assert events[-1]["data"]["message"]["text"] == "Session."


def test_it_rejects_a_stream_without_credentials(
    client: Client, alice: User, conversation: Conversation
) -> None:
    reply = send(conversation, alice, "hi").reply
    response = client.get(f"/api/v1/messages/{reply.pk}/stream")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_it_hides_everything_from_other_workspaces(
    client: Client, alice: User, charlie: User, conversation: Conversation
) -> None:
    exchange = send(conversation, alice, "secret")
    auth = bearer(make_key(user=charlie, workspace=Workspace.objects.get(name="Charlie's corner")))
    c, m = conversation.pk, exchange.reply.pk
    for method, url in [
        ("get", f"/api/v1/conversations/{c}"),
        ("patch", f"/api/v1/conversations/{c}"),
        ("delete", f"/api/v1/conversations/{c}"),
        ("get", f"/api/v1/conversations/{c}/messages"),
        ("post", f"/api/v1/conversations/{c}/messages"),
        ("get", f"/api/v1/messages/{m}"),
        ("get", f"/api/v1/messages/{m}/stream"),
        ("post", f"/api/v1/messages/{m}/stop"),
        ("post", f"/api/v1/messages/{m}/regenerate"),
    ]:
        response = getattr(client, method)(
            url, {"text": "x", "title": "x"}, content_type="application/json", **auth
        )
        assert response.status_code == 404, (method, url, response.content)
        if method == "get" and url.endswith("/stream"):
            continue
    assert client.get("/api/v1/conversations", **auth).json()["items"] == []
