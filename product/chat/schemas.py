"""The chat's API shapes, shared by the ninja routes and the SSE `done` event."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from product.chat.models import Conversation, Message


class MessageUsageOut(Schema):
    model: str = Field(examples=["keel-dev-small"])
    input_tokens: int | None = Field(examples=[42])
    output_tokens: int | None = Field(examples=[128])
    cost_usd: Decimal | None = Field(description="Null while unknown.", examples=["0.000083"])
    latency_ms: int | None = Field(examples=[830])
    ttft_ms: int | None = Field(description="Time to the first token.", examples=[120])


class MessageError(Schema):
    code: str = Field(examples=["provider_error"])
    message: str = Field(examples=["The model provider failed. Retry the reply."])


class MessageOut(Schema):
    id: uuid.UUID
    conversation_id: uuid.UUID
    role: str = Field(description="user or assistant", examples=["assistant"])
    status: str = Field(description="queued, streaming, done, stopped or failed", examples=["done"])
    text: str = Field(description="Markdown; partial while streaming.", examples=["Hello!"])
    error: MessageError | None = None
    usage: MessageUsageOut | None = None
    stream_cursor: str = Field(
        description="Cursor of the last delta included in `text`: resume the stream after it.",
        examples=["1764403200000-3"],
    )
    created_at: datetime
    finished_at: datetime | None = None

    @staticmethod
    def from_message(message: Message) -> MessageOut:
        usage = None
        if not message.is_user:
            usage = MessageUsageOut(
                model=message.model,
                input_tokens=message.input_tokens,
                output_tokens=message.output_tokens,
                cost_usd=message.cost_usd,
                latency_ms=message.latency_ms,
                ttft_ms=message.ttft_ms,
            )
        error = None
        if message.status == Message.Status.FAILED:
            error = MessageError(code=message.error_code, message=message.error_message)
        return MessageOut(
            id=message.pk,
            conversation_id=message.conversation_id,
            role=message.role,
            status=message.status,
            text=message.text,
            error=error,
            usage=usage,
            stream_cursor=message.stream_cursor,
            created_at=message.created_at,
            finished_at=message.finished_at,
        )


class ConversationOut(Schema):
    id: uuid.UUID
    title: str = Field(examples=["Planning the launch"])
    title_generated: bool = Field(
        description="False while the title is provisional (cut from the first message)."
    )
    created_at: datetime
    last_message_at: datetime | None

    @staticmethod
    def from_conversation(conversation: Conversation) -> ConversationOut:
        return ConversationOut(
            id=conversation.pk,
            title=conversation.display_title,
            title_generated=conversation.title_generated,
            created_at=conversation.created_at,
            last_message_at=conversation.last_message_at,
        )


class ConversationIn(Schema):
    title: str = Field(
        "", max_length=80, description="Optional; otherwise generated after the first reply."
    )


class ConversationPatch(Schema):
    title: str = Field(min_length=1, max_length=80)


class MessageIn(Schema):
    text: str = Field(min_length=1, max_length=32000, examples=["What is a Redis Stream?"])


class ExchangeOut(Schema):
    """The posted user message and the assistant reply that is on its way (stream it)."""

    user_message: MessageOut
    reply: MessageOut
    stream_url: str = Field(examples=["/api/v1/messages/3f6c…/stream"])
