"""Chat over the API: conversations, messages, stop and regenerate.

Posting a message is idempotent with an `Idempotency-Key` and answers 202 with the user message and
the pending reply; follow the reply at `GET /api/v1/messages/{id}/stream` (Server-Sent Events,
served by an async Django view in product/chat/views.py because it streams; the format is in
docs/streaming.md). Anything outside the caller's workspace is a 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router

from product.apikeys.auth import actor, require_scope
from product.chat import citations, selectors, services
from product.chat.models import Conversation, Message
from product.chat.schemas import (
    ConversationIn,
    ConversationOut,
    ConversationPatch,
    ExchangeOut,
    MessageIn,
    MessageOut,
)
from product.core.idempotency import IdempotencyKeyHeader, run_idempotent
from product.core.pagination import cursor_paginated

router = Router(tags=["chat"])

STREAM_DOC = (
    "Follow a reply with `GET /api/v1/messages/{id}/stream`: Server-Sent Events `delta` "
    '(`{"text"}`), `tool` (`{"step", "html"}`: a tool call started or ended, by `step.id`), '
    '`reset`, `done` (`{"message", "html"}`) and `error`; each event\'s `id` is a '
    "cursor: reconnect with `Last-Event-ID: <id>` or `?after=<id>` to get exactly the rest. "
    "Without a cursor the stream starts with the tool steps and text persisted so far. See "
    "docs/streaming.md."
)


def _conversation(request: HttpRequest, conversation_id: uuid.UUID) -> Conversation:
    who = actor(request)
    return selectors.get_conversation_for_user(who.user, conversation_id, workspace=who.workspace)


def _message(request: HttpRequest, message_id: uuid.UUID) -> Message:
    who = actor(request)
    return selectors.get_message_for_user(who.user, message_id, workspace=who.workspace)


def stream_url(message: Message) -> str:
    return reverse("api-message-stream", kwargs={"pk": message.pk})


def _messages_out(request: HttpRequest, messages: list[Message]) -> list[MessageOut]:
    """A page of messages as the caller may see them (one citations query for the page)."""
    viewer = actor(request).user
    readable = citations.readable_chunks(viewer, messages)
    return [MessageOut.from_message(m, viewer=viewer, readable=readable) for m in messages]


UNKNOWN_COLLECTION_DOC = {
    404: {
        "description": "`unknown_collection`: `collection_id` is not a collection of this "
        "workspace (or was deleted)."
    }
}


@router.get(
    "/conversations",
    response=list[ConversationOut],
    summary="List conversations",
    description="Newest first; `q` searches titles and message text.",
)
@cursor_paginated
def list_conversations(request: HttpRequest, q: str = "") -> Any:
    who = require_scope(request, "read")
    return selectors.conversations_for_workspace(who.workspace, query=q)


@router.post(
    "/conversations",
    response={201: ConversationOut},
    summary="Start a conversation",
    description="With `collection_id`, its replies answer from that collection and cite it.",
    openapi_extra={"responses": UNKNOWN_COLLECTION_DOC},
)
def create_conversation(request: HttpRequest, payload: ConversationIn) -> tuple[int, Any]:
    who = require_scope(request, "write")
    collection = selectors.get_collection_for_chat(
        who.user, payload.collection_id, workspace=who.workspace
    )
    conversation = services.start_conversation(
        workspace=who.workspace, user=who.user, title=payload.title, collection=collection
    )
    return 201, ConversationOut.from_conversation(conversation)


@router.get(
    "/conversations/{conversation_id}", response=ConversationOut, summary="Read a conversation"
)
def get_conversation(request: HttpRequest, conversation_id: uuid.UUID) -> Any:
    require_scope(request, "read")
    return ConversationOut.from_conversation(_conversation(request, conversation_id))


@router.patch(
    "/conversations/{conversation_id}",
    response=ConversationOut,
    summary="Rename a conversation or change its collection",
    description="Send only what changes. `collection_id` applies from the next reply on "
    "(null: no documents); replies already written keep their citations.",
    openapi_extra={"responses": UNKNOWN_COLLECTION_DOC},
)
def update_conversation(
    request: HttpRequest, conversation_id: uuid.UUID, payload: ConversationPatch
) -> Any:
    who = require_scope(request, "write")
    conversation = _conversation(request, conversation_id)
    sent = payload.model_fields_set
    if "collection_id" in sent:
        # Checked first: a PATCH that cannot be applied whole changes nothing.
        collection = selectors.get_collection_for_chat(
            who.user, payload.collection_id, workspace=conversation.workspace
        )
    if "title" in sent:
        services.rename_conversation(conversation=conversation, title=payload.title or "")
    if "collection_id" in sent:
        services.set_collection(conversation=conversation, collection=collection)
    return ConversationOut.from_conversation(conversation)


@router.delete(
    "/conversations/{conversation_id}",
    response={204: None},
    summary="Delete a conversation",
    description="Running replies are stopped first; everything is deleted.",
)
def delete_conversation(request: HttpRequest, conversation_id: uuid.UUID) -> tuple[int, None]:
    who = require_scope(request, "write")
    services.delete_conversation(
        conversation=_conversation(request, conversation_id), user=who.user
    )
    return 204, None


@router.get(
    "/conversations/{conversation_id}/messages",
    response=list[MessageOut],
    summary="List a conversation's messages",
    description="In order, oldest first.",
)
@cursor_paginated(order_by="position", descending=False, transform_page=_messages_out)
def list_messages(request: HttpRequest, conversation_id: uuid.UUID) -> Any:
    require_scope(request, "read")
    conversation = _conversation(request, conversation_id)
    return selectors.messages_for_conversation(conversation)


@router.post(
    "/conversations/{conversation_id}/messages",
    response={202: ExchangeOut},
    summary="Send a message",
    description="Answers 202 with your message and the pending reply. " + STREAM_DOC,
    openapi_extra={
        "responses": {
            409: {
                "description": "`reply_in_progress`: wait for the current reply (or stop it); "
                "`idempotency_key_reused`: this `Idempotency-Key` came with another body."
            }
        }
    },
)
def send_message(
    request: HttpRequest,
    conversation_id: uuid.UUID,
    payload: MessageIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> tuple[int, Any]:
    who = require_scope(request, "write")
    conversation = _conversation(request, conversation_id)

    def create() -> tuple[int, Any]:
        exchange = services.send_message(
            conversation=conversation, author=who.user, text=payload.text
        )
        body = ExchangeOut(
            user_message=MessageOut.from_message(exchange.user_message, viewer=who.user),
            reply=MessageOut.from_message(exchange.reply, viewer=who.user),
            stream_url=stream_url(exchange.reply),
        )
        return 202, body.model_dump(mode="json")

    return run_idempotent(
        actor=who,
        scope=f"chat.messages.create:{conversation.pk}",
        key=idempotency_key,
        payload=payload.model_dump(mode="json"),
        create=create,
    )


@router.get(
    "/messages/{message_id}",
    response=MessageOut,
    summary="Read a message (status, text, usage)",
    description=STREAM_DOC,
)
def get_message(request: HttpRequest, message_id: uuid.UUID) -> Any:
    who = require_scope(request, "read")
    return MessageOut.from_message(_message(request, message_id), viewer=who.user)


@router.post(
    "/messages/{message_id}/stop",
    response=MessageOut,
    summary="Stop a reply",
    description="The partial text is kept; the reply ends as `stopped` (the stream says `done`).",
    openapi_extra={
        "responses": {
            422: {"description": "`not_a_reply`: only an assistant reply can be stopped."}
        }
    },
)
def stop_message(request: HttpRequest, message_id: uuid.UUID) -> Any:
    who = require_scope(request, "write")
    message = services.stop_reply(message=_message(request, message_id), user=who.user)
    return MessageOut.from_message(message, viewer=who.user)


@router.post(
    "/messages/{message_id}/regenerate",
    response={202: MessageOut},
    summary="Regenerate the last reply",
    description="Replaces the conversation's last reply (finished, stopped or failed) with a new "
    "one. " + STREAM_DOC,
    openapi_extra={
        "responses": {
            409: {
                "description": "`not_last_reply`: only the conversation's last reply can be "
                "regenerated; `reply_in_progress`: stop the reply first."
            }
        }
    },
)
def regenerate_message(request: HttpRequest, message_id: uuid.UUID) -> tuple[int, Any]:
    who = require_scope(request, "write")
    reply = services.regenerate_reply(message=_message(request, message_id), user=who.user)
    return 202, MessageOut.from_message(reply, viewer=who.user)
