"""The chat's API shapes, shared by the ninja routes and the SSE `done` event."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from product.accounts.models import User
from product.chat import citations
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


class CitationOut(Schema):
    n: int = Field(description="The marker `[n]` in `text` that cites this passage.", examples=[1])
    passage_id: int = Field(
        description="The cited passage (a chunk): GET /knowledge/passages/{passage_id}/.",
        examples=[4211],
    )
    document_id: uuid.UUID
    document_name: str = Field(examples=["Handbook.pdf"])
    locator: str = Field(
        description="Where in the document: page and heading path, when known.",
        examples=["page 3 · Install › Linux"],
    )
    snippet: str = Field(description="The passage's beginning.", examples=["Keel runs model…"])


class ToolStepOut(Schema):
    """One tool call of a reply (or the line that says the step limit stopped it)."""

    id: str = Field(description="The call's id; `limit` for the step-limit line.")
    kind: str = Field(
        "call",
        description="`call`: a tool call; `limit`: the step limit stopped the reply's tools.",
    )
    step: int = Field(description="Which model step asked for it, from 1.", examples=[1])
    name: str = Field("", examples=["search_documents"])
    label: str = Field("", description="What a person reads.", examples=["Searched documents"])
    arguments: dict[str, Any] | str | None = Field(
        None, description="The arguments the model sent (the raw text when they were not JSON)."
    )
    status: str = Field(description="running, ok, error or limit", examples=["ok"])
    display: str = Field("", examples=["3 passages from Handbook"])
    result: str = Field(
        "", description="What the model read back (cut at 2,000 characters).", examples=[""]
    )
    error: str = Field("", examples=[""])
    elapsed_ms: int | None = Field(None, examples=[12])

    @staticmethod
    def from_step(step: dict[str, Any]) -> ToolStepOut:
        """A stored step (a ToolEvent dict); keys it lacks take their defaults."""
        return ToolStepOut(
            id=str(step.get("id", "")),
            kind=str(step.get("kind") or "call"),
            step=int(step.get("step") or 0),
            name=str(step.get("name", "")),
            label=str(step.get("label", "")),
            arguments=step.get("arguments"),
            status=str(step.get("status", "")),
            display=str(step.get("display", "")),
            result=str(step.get("result", "")),
            error=str(step.get("error", "")),
            elapsed_ms=step.get("elapsed_ms"),
        )


class MessageOut(Schema):
    id: uuid.UUID
    conversation_id: uuid.UUID
    role: str = Field(description="user or assistant", examples=["assistant"])
    status: str = Field(description="queued, streaming, done, stopped or failed", examples=["done"])
    text: str = Field(
        description="Markdown; partial while streaming. A finished grounded reply cites its "
        "sources as `[n]` markers (see `citations`); markers of passages you can no longer "
        "read (their document was deleted) are left out.",
        examples=["Jobs are reaped every 30 s [1]."],
    )
    citations: list[CitationOut] = Field(
        default_factory=list,
        description="The passages a finished grounded reply cites, that you can still read.",
    )
    tool_steps: list[ToolStepOut] = Field(
        default_factory=list,
        description="The tools the reply called, in order (the last state of each call); "
        "partial while streaming, like `text`.",
    )
    error: MessageError | None = None
    usage: MessageUsageOut | None = None
    stream_cursor: str = Field(
        description="Cursor of the last delta included in `text`: resume the stream after it.",
        examples=["1764403200000-3"],
    )
    created_at: datetime
    finished_at: datetime | None = None

    @staticmethod
    def from_message(
        message: Message, *, viewer: User, readable: set[int] | None = None
    ) -> MessageOut:
        """The message as `viewer` may see it: only citations of passages they can read.

        `readable`: those passages, when the caller looked them up for many messages at once."""
        if readable is None:
            readable = citations.readable_chunks(viewer, [message])
        text, cited = citations.visible(message, readable)
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
            text=text,
            citations=[
                CitationOut(
                    n=c.n,
                    passage_id=c.chunk_id,
                    document_id=c.document_id,
                    document_name=c.document_name,
                    locator=c.locator,
                    snippet=c.snippet,
                )
                for c in cited
            ],
            tool_steps=[ToolStepOut.from_step(step) for step in message.tool_steps or []],
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
    collection_id: uuid.UUID | None = Field(
        description="The knowledge collection replies answer from, citing it; null: none."
    )
    created_at: datetime
    last_message_at: datetime | None

    @staticmethod
    def from_conversation(conversation: Conversation) -> ConversationOut:
        return ConversationOut(
            id=conversation.pk,
            title=conversation.display_title,
            title_generated=conversation.title_generated,
            collection_id=conversation.collection_id,
            created_at=conversation.created_at,
            last_message_at=conversation.last_message_at,
        )


COLLECTION_ID_DOC = (
    "A knowledge collection of this workspace: replies then answer from its documents and cite "
    "them. Null or absent: no documents. An id outside the workspace is a 404."
)


class ConversationIn(Schema):
    title: str = Field(
        "", max_length=80, description="Optional; otherwise generated after the first reply."
    )
    collection_id: uuid.UUID | None = Field(None, description=COLLECTION_ID_DOC)


class ConversationPatch(Schema):
    """Send only what changes: `title` renames, `collection_id` (null: none) re-grounds."""

    title: str | None = Field(None, min_length=1, max_length=80)
    collection_id: uuid.UUID | None = Field(
        None, description=COLLECTION_ID_DOC + " Absent: unchanged."
    )


class MessageIn(Schema):
    text: str = Field(min_length=1, max_length=32000, examples=["What is a Redis Stream?"])


class ExchangeOut(Schema):
    """The posted user message and the assistant reply that is on its way (stream it)."""

    user_message: MessageOut
    reply: MessageOut
    stream_url: str = Field(examples=["/api/v1/messages/3f6c…/stream"])
