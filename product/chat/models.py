"""Conversations, their messages, and the database-backed token stream.

A conversation belongs to a workspace. Each assistant reply is a `Message` that a durable job
(kind "chat.reply") fills in: its text is persisted every ~250 ms while the job streams, together
with the stream cursor of the last delta it includes, so that a reader can start from the
database and follow the stream from exactly that point (see product/chat/streams.py).

A conversation may be "with" a knowledge collection: its replies are then grounded in passages
retrieved from it and cite them (product/knowledge/grounding.py).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from product.core.models import TimeStampedModel


class Conversation(TimeStampedModel):
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="conversations"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200, blank=True)
    # False until the title job (or a person renaming it) set a real title; until then `title` is
    # a provisional one cut from the first message.
    title_generated = models.BooleanField(default=False)
    title_job_id = models.UUIDField(null=True, blank=True)
    # Bumped on every new message so the history lists the most active conversation first.
    last_message_at = models.DateTimeField(null=True, blank=True)
    # The documents replies answer from, with citations (None: the model answers on its own).
    # Deleting the collection leaves the conversation; its old replies keep their citations,
    # which stop showing once their passages are gone.
    collection = models.ForeignKey(
        "knowledge.Collection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering: ClassVar = ["-last_message_at", "-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["workspace", "-last_message_at"], name="conversation_recent"),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or "New conversation"


class Message(TimeStampedModel):
    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        STREAMING = "streaming", "Streaming"
        DONE = "done", "Done"
        STOPPED = "stopped", "Stopped"
        FAILED = "failed", "Failed"

    FINISHED: ClassVar[frozenset[str]] = frozenset({Status.DONE, Status.STOPPED, Status.FAILED})

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    # Monotonic within a conversation: created_at ties when two rows are written in one transaction.
    position = models.PositiveIntegerField()
    role = models.CharField(max_length=16, choices=Role.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DONE)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    # The durable job filling this reply in (product.jobs). A plain id, not a foreign key, so a
    # message survives the jobs table being pruned.
    job_id = models.UUIDField(null=True, blank=True, db_index=True)
    # The cursor of the last stream entry included in `text` ("" = nothing streamed yet).
    stream_cursor = models.CharField(max_length=64, blank=True)
    stop_requested = models.BooleanField(default=False)
    # Usage, copied from the gateway's ledger row (llm.LLMCall) when the reply finishes.
    model = models.CharField(max_length=100, blank=True)
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    ttft_ms = models.PositiveIntegerField(null=True, blank=True)
    llm_call_id = models.UUIDField(null=True, blank=True)
    # A grounded reply's sources, written with its final text: product.knowledge.grounding's
    # Citation.as_json() for each passage it cites, in order of first use.
    citations = models.JSONField(default=list, blank=True)
    # The tools the reply called, in order: product.llm.tool_loop's ToolEvent dicts (the last
    # state of each call, one per id), persisted with `text` up to `stream_cursor` while it
    # streams and in full when it finishes. Shown above the reply's text.
    tool_steps = models.JSONField(default=list, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["conversation", "position"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["conversation", "position"], name="unique_message_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} #{self.position} in {self.conversation_id}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_user(self) -> bool:
        return self.role == self.Role.USER


class StreamEntry(models.Model):
    """One entry of a reply's token stream for the embedded default (no Redis).

    The autoincrement id is the resume cursor; one writer per message (the job) inserts in order,
    so ids only grow within a message.
    """

    id = models.BigAutoField(primary_key=True)
    message_id = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=16)
    data = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["message_id", "id"], name="stream_entry_cursor")]

    def __str__(self) -> str:
        return f"{self.message_id}:{self.id} {self.kind}"
