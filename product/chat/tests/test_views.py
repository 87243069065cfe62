from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from product.accounts.models import User
from product.chat.models import Conversation, Message
from product.chat.tests.conftest import run_reply, send

pytestmark = pytest.mark.usefixtures("devmodel_llm")


def test_it_shows_the_empty_state(alice_client: Client) -> None:
    response = alice_client.get("/chat/")
    assert response.status_code == 200
    assert response.content.count(b"<h1") == 1
    assert b"No conversations yet." in response.content


def test_it_redirects_to_the_newest_conversation(
    alice_client: Client, conversation: Conversation
) -> None:
    response = alice_client.get("/chat/")
    assert response.status_code == 302
    assert response["Location"] == f"/chat/{conversation.pk}/"


def test_it_starts_a_conversation_with_the_first_message(alice_client: Client) -> None:
    response = alice_client.post("/chat/new/", {"text": "Hello [[reply: Hi!]]"})
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/chat/{conversation.pk}/"
    roles = list(conversation.messages.values_list("role", "status"))
    assert roles == [("user", "done"), ("assistant", "queued")]
    page = alice_client.get(response["Location"])
    assert page.content.count(b"<h1") == 1
    assert b"data-stream-url" in page.content
    assert b"data-composer-send disabled" in page.content


def test_it_keeps_the_text_over_quota(alice_client: Client, settings: object) -> None:
    settings.LLM_WORKSPACE_MONTHLY_BUDGET_USD = Decimal("0")  # type: ignore[attr-defined]
    response = alice_client.post("/chat/new/", {"text": "Keep me please"})
    assert response.status_code == 422
    assert b"Keep me please" in response.content
    assert b"data-chat-error" in response.content
    assert not Conversation.objects.exists()


def test_it_refuses_a_blank_message(alice_client: Client, conversation: Conversation) -> None:
    response = alice_client.post(
        f"/chat/{conversation.pk}/messages/", {"text": "  "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert b"Write a message first." in response.content
    assert "HX-Trigger" not in response
    assert not conversation.messages.exists()


def test_it_sends_over_htmx_and_returns_the_list(
    alice_client: Client, conversation: Conversation
) -> None:
    response = alice_client.post(
        f"/chat/{conversation.pk}/messages/", {"text": "Hi"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "chat:sent"
    assert b'id="message-list"' in response.content
    assert b"<h1" not in response.content


def test_it_renders_a_finished_reply_with_usage(
    alice: User, alice_client: Client, conversation: Conversation
) -> None:
    run_reply(send(conversation, alice, "[[reply: Some *markdown*]]").reply)
    page = alice_client.get(f"/chat/{conversation.pk}/")
    assert b"<em>markdown</em>" in page.content
    assert b"keel-dev-small" in page.content
    assert b"out tokens" in page.content
    assert b"Regenerate" in page.content


def test_it_renders_a_hostile_reply_inert(
    alice: User, alice_client: Client, conversation: Conversation
) -> None:
    run_reply(send(conversation, alice, "[[hostile]]").reply)
    page = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    reply_html = page.split("data-message-text>", 1)[1].split("data-message-actions", 1)[0]
    assert "<script" not in reply_html
    assert "<img" not in reply_html
    # Tags in the reply come out as text; no element carries an hx-* or on* attribute.
    assert not re.search(r"<[a-z]+[^>]*\s(hx-[a-z]+|on[a-z]+)=", reply_html)
    assert not re.search(r"<a [^>]*href=\"javascript", reply_html)
    assert "&lt;script&gt;" in reply_html


def test_it_stops_regenerates_and_edits(
    alice: User, alice_client: Client, conversation: Conversation
) -> None:
    exchange = send(conversation, alice, "[[reply: First]]")
    response = alice_client.post(f"/chat/messages/{exchange.reply.pk}/stop/")
    assert response.status_code == 302
    assert Message.objects.get(pk=exchange.reply.pk).status == Message.Status.STOPPED
    alice_client.post(f"/chat/messages/{exchange.reply.pk}/regenerate/")
    reply = conversation.messages.get(role=Message.Role.ASSISTANT)
    assert reply.status == Message.Status.QUEUED
    run_reply(reply)
    alice_client.post(f"/chat/messages/{exchange.user_message.pk}/edit/", {"text": "Edited"})
    assert conversation.messages.get(role=Message.Role.USER).text == "Edited"


def test_it_puts_stop_in_the_composer_while_a_reply_streams(
    alice: User, alice_client: Client, conversation: Conversation
) -> None:
    reply = send(conversation, alice, "[[reply: Slow]]").reply
    stop_url = f"/chat/messages/{reply.pk}/stop/"
    page = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    composer = page.split('id="composer"', 1)[1]
    # Stop is a submit button of the composer posting to this reply's stop URL (works without
    # JS, and a required empty textarea does not block it); Send is hidden, and the hint says why.
    assert f'data-stop formnovalidate formaction="{stop_url}">Stop</button>' in composer
    assert re.search(r"data-composer-send disabled hidden>Send</button>", composer)
    assert "A reply is being written — press Stop or wait" in composer
    # The reply itself has no Stop form any more.
    assert f' action="{stop_url}"' not in page
    assert f'data-stop-url="{stop_url}"' in page
    # Only the reply being written is a live region (of the chat; the toasts have their own).
    chat = page.split('<div class="chat">', 1)[1].split('id="toasts"', 1)[0]
    assert chat.count("aria-live=") == 1
    assert re.search(r'data-stream-text aria-live="polite" aria-busy="true"', page)
    # What the composer's Stop posts without JS: the composer's fields, to the stop URL.
    response = alice_client.post(stop_url, {"text": ""})
    assert response.status_code == 302
    assert Message.objects.get(pk=reply.pk).status == Message.Status.STOPPED
    after = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    assert re.search(r"data-stop formnovalidate hidden>Stop</button>", after)


def test_it_keeps_a_reply_s_details_behind_a_disclosure(
    alice: User, alice_client: Client, conversation: Conversation
) -> None:
    run_reply(send(conversation, alice, "[[reply: Done.]]").reply)
    page = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    actions = page.split("data-message-actions>", 1)[1].split("</article>", 1)[0]
    assert 'data-copy="[[reply: Done.]]"' not in actions and 'data-copy="Done."' in actions
    assert "data-regenerate>Regenerate</button>" in actions
    assert 'data-rate="up"' in actions
    details = actions.split('<details class="message-details">', 1)[1].split("</details>", 1)[0]
    assert '<summary class="btn btn-small btn-ghost">Details</summary>' in details
    assert (
        "data-message-meta" in details and "out tokens" in details and "keel-dev-small" in details
    )


def test_it_renames_searches_and_deletes(alice_client: Client, conversation: Conversation) -> None:
    alice_client.post(f"/chat/{conversation.pk}/rename/", {"title": "Launch plan"})
    conversation.refresh_from_db()
    assert conversation.title == "Launch plan"
    found = alice_client.get("/chat/?q=launch")
    assert b"Launch plan" in found.content
    missing = alice_client.get("/chat/?q=zzz", HTTP_HX_REQUEST="true")
    assert b"No conversation matches" in missing.content
    confirm = alice_client.get(f"/chat/{conversation.pk}/delete/")
    assert confirm.status_code == 200
    alice_client.post(f"/chat/{conversation.pk}/delete/")
    assert not Conversation.objects.filter(pk=conversation.pk).exists()


def test_it_refreshes_the_header_title_with_the_history(
    alice_client: Client, conversation: Conversation
) -> None:
    conversation.title = "Echo: A generated title"
    conversation.save(update_fields=["title"])
    page = alice_client.get(f"/chat/{conversation.pk}/")
    assert page.content.count(b"<h1") == 1
    fragment = alice_client.get(
        f"/chat/?fragment=history&current={conversation.pk}", HTTP_HX_REQUEST="true"
    )
    html = fragment.content.decode()
    assert re.search(
        r'<h1 id="conversation-title" hx-swap-oob="true">Echo: A generated title</h1>', html
    )


def test_it_searches_message_text(
    alice: User, alice_client: Client, conversation: Conversation
) -> None:
    send(conversation, alice, "about narwhals")
    found = alice_client.get("/chat/?q=narwhal")
    assert f"/chat/{conversation.pk}/".encode() in found.content


def test_it_lets_teammates_in(bob_client: Client, conversation: Conversation) -> None:
    assert bob_client.get(f"/chat/{conversation.pk}/").status_code == 200


def test_it_hides_everything_from_outsiders(
    alice: User, charlie_client: Client, conversation: Conversation
) -> None:
    exchange = send(conversation, alice, "secret")
    c, m, u = conversation.pk, exchange.reply.pk, exchange.user_message.pk
    for method, url in [
        ("get", f"/chat/{c}/"),
        ("post", f"/chat/{c}/messages/"),
        ("post", f"/chat/{c}/rename/"),
        ("get", f"/chat/{c}/delete/"),
        ("post", f"/chat/{c}/delete/"),
        ("get", f"/chat/messages/{m}/stream/"),
        ("post", f"/chat/messages/{m}/stop/"),
        ("post", f"/chat/messages/{m}/regenerate/"),
        ("post", f"/chat/messages/{u}/edit/"),
        ("get", f"/chat/?fragment=history&current={c}"),
    ]:
        data = {"text": "x", "title": "x"} if method == "post" else None
        response = getattr(charlie_client, method)(url, data)
        assert response.status_code == 404, (method, url)
    assert Conversation.objects.filter(pk=c).exists()
