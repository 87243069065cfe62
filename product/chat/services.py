"""Writes for chat: conversations, messages, and the replies the worker streams.

Every assistant reply runs as a durable job of kind "chat.reply" (product.jobs), so claim-once,
heartbeats, the reaper, cancel and retries come from one place. Budget is reserved *before* any row
is written: over quota, nothing is created and no model is called. The reply's job appends its
deltas to the message's stream (product.chat.streams), coalesced into about one entry per 50 ms
(`_ReplyWriter`), and persists the text every ~250 ms; the last write is the `end` entry, after
the final text is in the database, so a reader that sees `end` can serve the finished message from
the database.

A conversation "with" a collection grounds each reply: on the worker, before the model call, the
last question is searched in the collection and the relevant passages go into the system prompt
as numbered sources (`ground`); the reply's [n] markers are checked against the passages sent
and stored as its citations, in the same UPDATE as its final text (`final` in `run_reply`).

A reply may call tools (product/chat/tools.py, through the gateway's tool loop): each call's
state streams as a `tool` entry and is persisted with the text (`Message.tool_steps`). Passages
`search_documents` finds are numbered after the upfront ones, so citations resolve over both.

A message is finished exactly once: every path that ends one (the job, a stop before the job ran,
a job the reaper gave up on) goes through `_finish`, a conditional UPDATE; only the winner appends
the `end` entry.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.chat import prompts, streams
from product.chat import tools as chat_tools
from product.chat.models import Conversation, Message
from product.core.db import release_connection
from product.core.errors import KeelError
from product.core.resilience import REDIS_DOWN, quietly, with_retry
from product.core.text import reject_nul
from product.jobs import services as job_services
from product.jobs.models import Job
from product.jobs.registry import JobContext
from product.knowledge import grounding, retrieval
from product.knowledge.models import Collection
from product.knowledge.retrieval import Passage
from product.llm import gateway, quotas, tool_loop
from product.llm.errors import CallCancelled, LLMError, QuotaExceeded
from product.llm.gateway import JobLink
from product.llm.models import BudgetReservation
from product.llm.tool_loop import upsert_step
from product.llm.tools import ToolScope, tools_for

logger = logging.getLogger(__name__)

REPLY_KIND = "chat.reply"
TITLE_KIND = "chat.title"
FEATURE = "chat"
PERSIST_EVERY_S = 0.25
# Deltas that follow the one just appended wait at most this long, then go as one stream entry:
# one XADD (or INSERT) per ~50 ms instead of one per token. The first delta goes at once.
STREAM_COALESCE_S = 0.05
# ...or go at once when this much text is waiting.
STREAM_COALESCE_CHARS = 2000
# While Redis refuses stream writes, try again after this (doubling up to the max); at the end of
# a reply wait at most STREAM_DRAIN_S for it before leaving the text to the database alone.
STREAM_BACKOFF_FIRST_S = 0.1
STREAM_BACKOFF_MAX_S = 1.0
STREAM_DRAIN_S = 3.0
MAX_MESSAGE_CHARS = 32000
MAX_TITLE_CHARS = 80
# What a tool step still running when its reply ended says (stopped, failed).
STEP_UNFINISHED = "The reply ended before this tool finished."


class ChatError(KeelError):
    """A message or title the chat cannot take (422); `message` is shown to the person as is."""

    default_status = 422
    default_code = "chat_error"


class ChatConflict(ChatError):
    """The conversation is not in a state that allows this now (a reply is running, ...): 409."""

    default_status = 409
    default_code = "chat_conflict"


# --- Conversations ---------------------------------------------------------------------------


def _check_collection(workspace: Workspace, collection: Collection | None) -> None:
    # Callers load the collection through its door (knowledge.selectors); this keeps a caller
    # that forgot from grounding one workspace's chat in another's documents.
    if collection is not None and collection.workspace_id != workspace.pk:
        raise ChatError(
            "That collection is not in this conversation's workspace.", code="unknown_collection"
        )


def start_conversation(
    *, workspace: Workspace, user: User, title: str = "", collection: Collection | None = None
) -> Conversation:
    reject_nul(title, "title")
    _check_collection(workspace, collection)
    return Conversation.objects.create(
        workspace=workspace,
        created_by=user,
        title=title.strip()[:MAX_TITLE_CHARS],
        title_generated=bool(title.strip()),
        collection=collection,
        last_message_at=timezone.now(),
    )


def set_collection(*, conversation: Conversation, collection: Collection | None) -> Conversation:
    """Answer from this collection's documents from the next reply on (None: from none).

    Replies already written keep the citations they have."""
    _check_collection(conversation.workspace, collection)
    conversation.collection = collection
    conversation.save(update_fields=["collection", "updated_at"])
    return conversation


def rename_conversation(*, conversation: Conversation, title: str) -> Conversation:
    title = reject_nul(title, "title").strip()[:MAX_TITLE_CHARS]
    if not title:
        raise ChatError("A title cannot be blank.", code="blank_title")
    conversation.title = title
    # A person's title wins: a late title job must not overwrite it.
    conversation.title_generated = True
    conversation.save(update_fields=["title", "title_generated", "updated_at"])
    return conversation


def delete_conversation(*, conversation: Conversation, user: User) -> None:
    """Stop what is still running (no charge for replies nobody can see), then delete."""
    for reply in conversation.messages.filter(
        role=Message.Role.ASSISTANT, status__in=[Message.Status.QUEUED, Message.Status.STREAMING]
    ):
        stop_reply(message=reply, user=user)
    backend = streams.get_backend()
    for message_id in conversation.messages.values_list("id", flat=True):
        _clear_stream(backend, message_id)
    conversation.delete()


def _clear_stream(backend: streams.StreamBackend, message_id: uuid.UUID) -> None:
    # Without Redis the entries stay until Redis drops them (a stream without a reader is only
    # memory): deleting or replacing a message must not fail because of it.
    quietly("stream clear", lambda: backend.clear(message_id), None)


# --- Messages --------------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    text = reject_nul(text or "", "text").strip()
    if not text:
        raise ChatError("Write a message first.", code="blank_message")
    if len(text) > MAX_MESSAGE_CHARS:
        raise ChatError(
            f"A message can be at most {MAX_MESSAGE_CHARS} characters long.",
            code="message_too_long",
        )
    return text


def prompt_messages(*, conversation: Conversation, before: int) -> list[dict[str, str]]:
    """The model's view of the conversation: what came before the reply at position `before`."""
    return _prompt_from(conversation.messages.filter(position__lt=before).order_by("position"))


def _prompt_from(history: Iterable[Message]) -> list[dict[str, str]]:
    turns = []
    for message in history:
        if message.is_user:
            turns.append({"role": "user", "content": message.text})
        elif message.status in (Message.Status.DONE, Message.Status.STOPPED) and message.text:
            turns.append({"role": "assistant", "content": message.text})
    return prompts.reply_messages(turns)


def _reserve(*, conversation: Conversation, user: User, messages: list[dict[str, str]]) -> Any:
    if conversation.collection_id is not None:
        # The worker adds the retrieved passages to the prompt: hold room for them too.
        messages = [*messages, {"role": "system", "content": _sources_allowance()}]
    return quotas.reserve(
        workspace=conversation.workspace,
        user=user,
        feature=FEATURE,
        messages=messages,
        model=settings.LLM_MODEL,
        max_tokens=settings.LLM_MAX_OUTPUT_TOKENS,
    )


def _queue_reply(
    *, conversation: Conversation, user: User, position: int, reservation: BudgetReservation
) -> Message:
    # The id is chosen first so the job and the message name each other without an UPDATE; the
    # job is enqueued on commit, when the message exists.
    reply_id = uuid.uuid4()
    job = job_services.submit_job(
        workspace=conversation.workspace,
        user=user,
        kind=REPLY_KIND,
        input={"message_id": str(reply_id), "reservation_id": str(reservation.pk)},
        reservation=reservation,
    )
    return Message.objects.create(
        id=reply_id,
        conversation=conversation,
        position=position,
        role=Message.Role.ASSISTANT,
        status=Message.Status.QUEUED,
        model=settings.LLM_MODEL,
        job_id=job.pk,
    )


def _sources_allowance() -> str:
    """A stand-in of the sources block's largest size (" x" is one token), for the estimate."""
    tokens = int(settings.KNOWLEDGE_CHAT_PASSAGES) * (int(settings.KNOWLEDGE_CHUNK_TOKENS) + 30)
    return " x" * tokens


@dataclass(frozen=True)
class Exchange:
    """What a send returns: the person's message and the reply that is on its way."""

    user_message: Message
    reply: Message


BUSY_MESSAGE = "Wait for the current reply to finish (or stop it) first."


def _busy(history: list[Message]) -> ChatError | None:
    if any(not m.is_user and not m.is_finished for m in history):
        return ChatConflict(BUSY_MESSAGE, code="reply_in_progress")
    return None


def send_message(*, conversation: Conversation, author: User, text: str) -> Exchange:
    """Post a user message and queue the assistant's reply.

    Raises ChatError (blank, too long, a reply still running) or QuotaExceeded: in both cases
    nothing is written, so the caller keeps the text in the form.

    The budget is reserved first, in its own short transaction: the workspace row lock that keeps
    budgets exact is then held only while the reservation is checked, not while this send writes
    its rows (sends in one workspace queue on that lock; this is on the time-to-first-token path).
    """
    text = _clean_text(text)
    history = list(conversation.messages.order_by("position"))
    if (busy := _busy(history)) is not None:
        raise busy
    prompt = _prompt_from(history)
    prompt.append({"role": "user", "content": text})
    reservation = _reserve(conversation=conversation, user=author, messages=prompt)
    try:
        return _write_exchange(
            conversation=conversation, author=author, text=text, reservation=reservation
        )
    except BaseException:
        quotas.release(reservation)
        raise


@transaction.atomic
def _write_exchange(
    *, conversation: Conversation, author: User, text: str, reservation: BudgetReservation
) -> Exchange:
    # Serialise sends per conversation: two tabs pressing Send at once get one reply each in turn
    # (the loser sees the winner's reply running and gets its reservation back).
    Conversation.objects.select_for_update().filter(pk=conversation.pk).only("pk").first()
    # Under the lock only what the check needs, in one query (the history was read for the
    # prompt already; this is on the time-to-first-token path).
    found = conversation.messages.aggregate(
        last=Max("position"),
        running=Count(
            "pk",
            filter=Q(role=Message.Role.ASSISTANT) & ~Q(status__in=list(Message.FINISHED)),
        ),
    )
    if found["running"]:
        raise ChatConflict(BUSY_MESSAGE, code="reply_in_progress")
    position = found["last"] + 1 if found["last"] is not None else 0
    user_message = Message.objects.create(
        conversation=conversation,
        position=position,
        role=Message.Role.USER,
        author=author,
        text=text,
        status=Message.Status.DONE,
    )
    reply = _queue_reply(
        conversation=conversation, user=author, position=position + 1, reservation=reservation
    )
    fields = ["last_message_at", "updated_at"]
    conversation.last_message_at = timezone.now()
    if not conversation.title:
        # A provisional title until the title job answers.
        conversation.title = _provisional_title(text)
        fields.append("title")
    conversation.save(update_fields=fields)
    return Exchange(user_message=user_message, reply=reply)


def _last_messages(conversation: Conversation) -> tuple[Message | None, Message | None]:
    """The last user message and the assistant reply after it (either may be missing)."""
    last = list(conversation.messages.order_by("-position")[:2])
    reply = next((m for m in last if not m.is_user), None)
    if reply is not None and last[0] is not reply:
        reply = None
    user_message = next((m for m in last if m.is_user), None)
    return user_message, reply


@transaction.atomic
def regenerate_reply(*, message: Message, user: User) -> Message:
    """Replace the last reply (finished, stopped or failed: the retry button) with a new one."""
    conversation = message.conversation
    Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
    message.refresh_from_db()
    _user_message, reply = _last_messages(conversation)
    if message.is_user or reply is None or reply.pk != message.pk:
        raise ChatConflict("Only the last reply can be regenerated.", code="not_last_reply")
    if not message.is_finished:
        raise ChatConflict("Stop the reply before regenerating it.", code="reply_in_progress")
    prompt = prompt_messages(conversation=conversation, before=message.position)
    reservation = _reserve(conversation=conversation, user=user, messages=prompt)
    position = message.position
    _clear_stream(streams.get_backend(), message.pk)
    message.delete()
    reply = _queue_reply(
        conversation=conversation, user=user, position=position, reservation=reservation
    )
    conversation.last_message_at = timezone.now()
    conversation.save(update_fields=["last_message_at", "updated_at"])
    return reply


@transaction.atomic
def edit_last_user_message(*, message: Message, user: User, text: str) -> Exchange:
    """Change the last user message and get a new reply to it (the old reply is replaced)."""
    conversation = message.conversation
    Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
    text = _clean_text(text)
    user_message, reply = _last_messages(conversation)
    if user_message is None or user_message.pk != message.pk:
        raise ChatConflict("Only your last message can be edited.", code="not_last_message")
    if reply is not None and not reply.is_finished:
        raise ChatConflict("Stop the reply before editing your message.", code="reply_in_progress")
    prompt = prompt_messages(conversation=conversation, before=message.position)
    prompt.append({"role": "user", "content": text})
    reservation = _reserve(conversation=conversation, user=user, messages=prompt)
    user_message.text = text
    user_message.save(update_fields=["text", "updated_at"])
    if reply is not None:
        _clear_stream(streams.get_backend(), reply.pk)
        reply.delete()
    new_reply = _queue_reply(
        conversation=conversation, user=user, position=message.position + 1, reservation=reservation
    )
    conversation.last_message_at = timezone.now()
    conversation.save(update_fields=["last_message_at", "updated_at"])
    return Exchange(user_message=user_message, reply=new_reply)


def stop_reply(*, message: Message, user: User) -> Message:
    """Ask a reply to stop: its partial text is kept and it ends as `stopped`."""
    if message.is_user:
        raise ChatError("Only a reply can be stopped.", code="not_a_reply")
    if message.is_finished:
        return message
    Message.objects.filter(pk=message.pk).update(stop_requested=True)
    job = Job.objects.filter(pk=message.job_id).first() if message.job_id else None
    if job is not None:
        job = job_services.cancel_job(job=job, user=user)
    if job is None or job.status == Job.Status.CANCELLED:
        # The job never started (or is gone): nobody else will finish the message, or charge.
        _finish(message.pk, Message.Status.STOPPED)
        if job is not None:
            _release_unused(job)
    message.refresh_from_db()
    return message


def _job_reservation(job: Job) -> BudgetReservation | None:
    """The budget held for a job: on the job row when it has one, else named in its input."""
    found: BudgetReservation | None = getattr(job, "reservation", None)
    if found is None and job.input.get("reservation_id"):
        found = BudgetReservation.objects.filter(pk=job.input["reservation_id"]).first()
    return found


def _release_unused(job: Job) -> None:
    reservation = _job_reservation(job)
    if reservation is not None and reservation.status == reservation.Status.RESERVED:
        quotas.release(reservation)


# --- Finishing a reply -----------------------------------------------------------------------


def _finish(message_id: uuid.UUID, status: str, *, on_commit: bool = False, **fields: Any) -> bool:
    """End a reply once; the winner appends the stream's `end` entry (after the database write).

    `on_commit`: the caller is inside a transaction (the reply job's ending one), so the `end`
    entry waits for its commit: a reader that sees `end` must find the finished message.
    """
    done = Message.objects.filter(
        pk=message_id, status__in=[Message.Status.QUEUED, Message.Status.STREAMING]
    ).update(status=status, finished_at=timezone.now(), **fields)
    if done:

        def announce() -> None:
            # Without Redis the `end` entry is skipped: a reader that hears nothing for a while
            # loads the message, finds it finished and serves it from the database.
            backend = streams.get_backend()
            end = json.dumps({"status": status})
            quietly(
                "stream end",
                lambda: with_retry(lambda: backend.append(message_id, streams.END, end)),
                "",
            )
            quietly("stream ttl", lambda: backend.expire(message_id), None)

        if on_commit:
            transaction.on_commit(announce)
        else:
            announce()
    return bool(done)


def reconcile_reply(*, message: Message) -> Message:
    """A reply whose job ended without finishing it (the reaper gave up, a crash): say so.

    Readers call this when a reply has been quiet for a while, so it never stays "streaming".
    """
    if message.is_finished or message.is_user or message.job_id is None:
        return message
    job = Job.objects.filter(pk=message.job_id).first()
    if job is None:
        _finish(
            message.pk,
            Message.Status.FAILED,
            error_code="job_lost",
            error_message="This reply was interrupted. Retry it.",
        )
    elif job.status == Job.Status.CANCELLED:
        _finish(message.pk, Message.Status.STOPPED)
    elif job.status in (Job.Status.FAILED, Job.Status.SUCCEEDED):
        _finish(
            message.pk,
            Message.Status.FAILED,
            error_code=job.error_code or "interrupted",
            error_message=job.error_message or "This reply was interrupted. Retry it.",
        )
    message.refresh_from_db()
    return message


class _ReplyWriter:
    """Collects the gateway's deltas and tool steps for the stream, persisted every 250 ms.

    Deltas are coalesced: the first one (and any that comes STREAM_COALESCE_S or more after the
    last append) is appended at once, because the reader is waiting for it; those that follow
    within STREAM_COALESCE_S wait in the buffer and go as one entry when that time is up, or at
    once when STREAM_COALESCE_CHARS are waiting. The deadline is kept by a thread
    (`_DeadlineFlusher`), so a model that stalls never holds back text it already sent. A tool
    step is appended at once, after the text before it. One lock orders the job's thread and the
    flusher's, so entries keep their order and each is appended once.

    Redis may go away mid-reply. Entries it refuses are buffered here, in order, and appended when
    it answers again; the persisted text and tool steps are always those up to the persisted
    cursor, so a reader that starts from the row and follows the stream after that cursor neither
    loses nor repeats a delta or a step. After a failure the writer cannot know what the stream
    kept (a restart without persistence drops it; a reset connection may have applied an XADD it
    never acknowledged), so it checks that the stream still ends at its cursor and, if not,
    starts the stream over: a `reset` entry, each step in its latest state, then the whole text
    so far as one delta. (The tool loop reports steps from the calling thread, like deltas.)
    """

    def __init__(self, message: Message) -> None:
        self.message_id = message.pk
        self.backend = streams.get_backend()
        self.coalesce_s = STREAM_COALESCE_S
        self.text = ""
        self.steps: list[dict[str, Any]] = []  # every tool step so far, the latest state of each
        self.cursor = ""
        self._lock = threading.Lock()
        self._streamed = ""  # the text the stream holds up to self.cursor
        self._streamed_steps: list[dict[str, Any]] = []  # the steps it holds up to self.cursor
        self._pending: list[tuple[str, str]] = []  # (entry kind, data) not appended yet
        self._pending_chars = 0
        self._appended_at = -math.inf  # when the stream last took what was pending
        self._unsure = False  # a stream write failed: check the stream before the next one
        self._stream_retry_at = 0.0
        self._stream_backoff_s = STREAM_BACKOFF_FIRST_S
        self._persisted_at = time.monotonic()
        self._dirty = False
        self._drained = False  # the reply is ending: the flusher no longer appends

    def start_over(self) -> None:
        """An earlier attempt died mid-reply (the reaper re-ran the job): readers start over."""
        try:
            with_retry(lambda: self.backend.append(self.message_id, streams.RESET))
        except REDIS_DOWN:
            self._unsure = True

    def on_delta(self, delta: str) -> None:
        if not delta:
            return
        with self._lock:
            self.text += delta
            if self._pending and self._pending[-1][0] == streams.DELTA:
                # One entry for the text that waited together (also while Redis is away).
                self._pending[-1] = (streams.DELTA, self._pending[-1][1] + delta)
            else:
                self._pending.append((streams.DELTA, delta))
            self._pending_chars += len(delta)
            self._dirty = True
            due_at = self._appended_at + self.coalesce_s
            urgent = time.monotonic() >= due_at or self._pending_chars >= STREAM_COALESCE_CHARS
            if urgent or not self._defer(due_at):
                self._flush_stream()
        if time.monotonic() - self._persisted_at >= PERSIST_EVERY_S:
            self.persist()

    def on_tool(self, event: dict[str, Any]) -> None:
        """A tool call started or ended, or the step limit stopped the tools (a ToolEvent).

        Persisted at once: steps are few, and a reload while a slow tool runs should show it."""
        step = dict(event)
        with self._lock:
            upsert_step(self.steps, step)
            self._pending.append((streams.TOOL, json.dumps(step)))
            self._flush_stream()
            self._dirty = True
        self.persist()

    def _defer(self, due_at: float) -> bool:
        """Leave the buffer to the flusher's deadline; False when it must be appended now.

        With the database backend inside a transaction (a test running a job in its own), a
        write from another thread could not see this one's rows, nor get SQLite's write lock."""
        if isinstance(self.backend, streams.DatabaseStreamBackend) and (
            transaction.get_connection().in_atomic_block
        ):
            return False
        _flusher.schedule(self, due_at)
        return True

    def flush_due(self) -> None:
        """The coalescing deadline passed (the flusher's thread): append what is waiting."""
        with self._lock:
            if self._pending and not self._drained:
                self._flush_stream()

    def _flush_stream(self) -> bool:
        """Append what is buffered; False (kept for later) while Redis is away. Holds the lock."""
        if not self._pending and not self._unsure:
            return True
        if time.monotonic() < self._stream_retry_at:
            return False
        try:
            if self._unsure and self.backend.last_cursor(self.message_id) != self.cursor:
                self._replay()
            self._unsure = False
            while self._pending:
                kind, data = self._pending[0]
                self.cursor = self.backend.append(self.message_id, kind, data)
                # The cursor moved: the row is behind it until the next persist.
                self._dirty = True
                self._pending.pop(0)
                if kind == streams.TOOL:
                    upsert_step(self._streamed_steps, json.loads(data))
                else:
                    self._streamed += data
        except REDIS_DOWN as exc:
            if not self._unsure:
                logger.warning("reply %s: stream unavailable (%s); buffering", self.message_id, exc)
            self._unsure = True
            self._stream_retry_at = time.monotonic() + self._stream_backoff_s
            self._stream_backoff_s = min(STREAM_BACKOFF_MAX_S, self._stream_backoff_s * 2)
            return False
        self._pending_chars = 0
        self._appended_at = time.monotonic()
        self._stream_backoff_s = STREAM_BACKOFF_FIRST_S
        return True

    def _replay(self) -> None:
        """Start the stream over with everything so far. The cursor moves only once all of it is
        in: a replay cut short leaves the stream ending elsewhere, so the next try replays again."""
        cursor = self.backend.append(self.message_id, streams.RESET)
        for step in self.steps:
            cursor = self.backend.append(self.message_id, streams.TOOL, json.dumps(step))
        if self.text:
            cursor = self.backend.append(self.message_id, streams.DELTA, self.text)
        self.cursor, self._streamed, self._pending = cursor, self.text, []
        self._dirty = True
        self._streamed_steps = [dict(step) for step in self.steps]

    def drain(self) -> None:
        """Before the reply ends: flush the buffer, waiting a little for Redis if it is away.

        If it stays away, readers get the whole text from the database with the final event.
        """
        _flusher.cancel(self)
        deadline = time.monotonic() + STREAM_DRAIN_S
        while True:
            with self._lock:
                if self._flush_stream() or time.monotonic() >= deadline:
                    # What Redis still refuses is left to the database: after this the reply
                    # ends, and a late append would follow its `end` entry.
                    self._drained = True
                    break
                retry_at = self._stream_retry_at
            time.sleep(max(0.0, min(retry_at, deadline) - time.monotonic()))
        self.persist()

    def persist(self) -> None:
        with self._lock:
            dirty, self._dirty = self._dirty, False
            # What goes with the cursor, never more: buffered entries follow in the stream.
            row = {
                "text": self._streamed,
                "tool_steps": list(self._streamed_steps),
                "stream_cursor": self.cursor,
            }
        if dirty:
            Message.objects.filter(pk=self.message_id).update(**row)
            release_connection()
        self._persisted_at = time.monotonic()

    def final_steps(self) -> list[dict[str, Any]]:
        """The steps to store with the finished reply: a call still running when the reply
        ended (stopped, failed) never will finish, so it is stored as not finished."""
        return [
            {**step, "status": "error", "error": STEP_UNFINISHED}
            if step.get("status") == "running"
            else step
            for step in self.steps
        ]


class _DeadlineFlusher:
    """One thread per process appends the coalesced deltas whose deadline has passed.

    A writer with text waiting is scheduled once (the earliest deadline wins); the thread sleeps
    until the next deadline, so an idle process costs nothing. Started on first use.
    """

    def __init__(self) -> None:
        self._due: dict[_ReplyWriter, float] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def schedule(self, writer: _ReplyWriter, due_at: float) -> None:
        with self._wake:
            known = self._due.get(writer)
            if known is not None and known <= due_at:
                return
            self._due[writer] = due_at
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="chat-stream-flusher", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def cancel(self, writer: _ReplyWriter) -> None:
        with self._wake:
            self._due.pop(writer, None)

    def _take_due(self) -> list[_ReplyWriter]:
        with self._wake:
            while True:
                now = time.monotonic()
                due = [writer for writer, at in self._due.items() if at <= now]
                if due:
                    for writer in due:
                        del self._due[writer]
                    return due
                self._wake.wait(min(self._due.values()) - now if self._due else None)

    def _run(self) -> None:
        while True:
            for writer in self._take_due():
                try:
                    writer.flush_due()
                except Exception:
                    # Kept in the writer's buffer: its next delta or its drain appends it.
                    logger.exception("reply %s: deferred stream flush failed", writer.message_id)
            release_connection()


_flusher = _DeadlineFlusher()


def ground(
    prompt: list[dict[str, str]],
    *,
    workspace: Workspace,
    collection: Collection,
    user: User | None,
    job: JobLink | None = None,
) -> list[Passage]:
    """Retrieve passages for the last question and put them in the system message, numbered.

    Only relevant passages are sent (found by keyword, or close enough in meaning); when none is,
    the sources block says so and the model is told to say it found nothing. Runs on the worker,
    before the model call: the query embedding is ledgered under "chat.reply".
    """
    question = next((m["content"] for m in reversed(prompt) if m["role"] == "user"), "")
    query = prompts.search_query(question)
    passages: list[Passage] = []
    if query:
        results = retrieval.search(
            workspace=workspace,
            collection_ids=[collection.pk],
            query=query,
            k=int(settings.KNOWLEDGE_CHAT_PASSAGES),
            user=user,
            feature=prompts.RETRIEVAL_FEATURE,
            job=job,
        )
        passages = retrieval.relevant(results.fused)
    prompt[0] = {
        "role": "system",
        "content": prompts.grounded_system_prompt(collection.name, passages),
    }
    return passages


def run_reply(ctx: JobContext) -> dict[str, Any]:
    """The "chat.reply" job: stream the model's answer into the message."""
    message_id = ctx.job.input.get("message_id")
    message = (
        Message.objects.select_related("conversation__workspace", "conversation__collection")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.is_finished:
        _release_unused(ctx.job)
        return {"skipped": True}
    if message.stop_requested:
        _finish(message.pk, Message.Status.STOPPED)
        _release_unused(ctx.job)
        return {"stopped": True, "text": ""}
    backend = streams.get_backend()
    writer = _ReplyWriter(message)
    if message.status == Message.Status.STREAMING or message.text or message.stream_cursor:
        writer.start_over()
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.STREAMING,
        text="",
        tool_steps=[],
        stream_cursor="",
        error_code="",
        error_message="",
    )
    conversation = message.conversation
    prompt = prompt_messages(conversation=conversation, before=message.position)
    author = ctx.job.created_by
    # None: not grounded (no collection); else the passages the model is sent upfront.
    passages: list[Passage] | None = None
    # Every passage the model is shown, numbered: the upfront ones, then search_documents' finds.
    sources = chat_tools.SourceRegistry()
    scope = ToolScope(
        workspace=conversation.workspace,
        user=author,
        job=ctx,
        context={
            "conversation_id": conversation.pk,
            "collection_id": conversation.collection_id,
            "sources": sources,
        },
    )

    def final(text: str) -> dict[str, Any]:
        """The text to store, the citations and the tool steps that go with it, written together."""
        steps = writer.final_steps()
        shown = sources.passages()
        if passages is None and not shown:
            return {"text": text, "citations": [], "tool_steps": steps}
        text, cited = grounding.resolve_citations(text, shown)
        return {
            "text": text,
            "citations": [citation.as_json() for citation in cited],
            "tool_steps": steps,
        }

    try:
        if conversation.collection is not None:
            passages = ground(
                prompt,
                workspace=conversation.workspace,
                collection=conversation.collection,
                user=author,
                job=ctx,
            )
            sources.add(passages)
        release_connection()
        # A tool's failure, and the step limit, are results the model reads: the reply goes on.
        result = tool_loop.stream_with_tools(
            workspace=conversation.workspace,
            user=author,
            feature=FEATURE,
            messages=prompt,
            prompt_name=(
                prompts.REPLY_PROMPT_NAME
                if passages is None
                else prompts.GROUNDED_REPLY_PROMPT_NAME
            ),
            prompt_version=(
                prompts.REPLY_PROMPT_VERSION
                if passages is None
                else prompts.GROUNDED_REPLY_PROMPT_VERSION
            ),
            model=message.model or None,
            reservation=_job_reservation(ctx.job),
            job=ctx,
            tools=tools_for(scope),
            scope=scope,
            on_delta=writer.on_delta,
            on_tool=writer.on_tool,
            should_stop=ctx.is_cancelled,
        )
        writer.drain()
    except CallCancelled:
        writer.drain()
        _finish(
            message.pk, Message.Status.STOPPED, stream_cursor=writer.cursor, **final(writer.text)
        )
        raise
    except LLMError as exc:
        writer.drain()
        _finish(
            message.pk,
            Message.Status.FAILED,
            stream_cursor=writer.cursor,
            error_code=exc.code,
            error_message=exc.message,
            **final(writer.text),
        )
        raise
    except Exception:
        writer.drain()
        _finish(
            message.pk,
            Message.Status.FAILED,
            stream_cursor=writer.cursor,
            **final(writer.text),
            error_code="internal_error",
            error_message="Something went wrong on our side. Retry the reply.",
        )
        raise
    finally:
        # If the message was deleted mid-reply, _finish wrote no `end` (and set no TTL): make
        # sure the deltas written meanwhile expire anyway.
        if writer.cursor:
            quietly("stream ttl", lambda: backend.expire(message.pk), None)
    status = Message.Status.STOPPED if result.stopped else Message.Status.DONE
    # The gateway's text is authoritative (it is what it billed); deltas add up to it.
    text = result.text if result.text else writer.text

    def write_outcome() -> None:
        # In the job's ending transaction, with the call's ledger row and the job's success: a
        # worker killed before its commit leaves the reply streaming, and the re-run finishes it.
        _finish(
            message.pk,
            status,
            on_commit=True,
            **final(text),
            stream_cursor=writer.cursor,
            model=result.model,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            cost_usd=result.cost_usd,
            latency_ms=result.latency_ms,
            ttft_ms=result.ttft_ms,
            llm_call_id=result.call_id,
        )
        if not conversation.title_generated and conversation.title_job_id is None:
            # (A title job already queued: submit_title would only lock the row to find it.)
            submit_title(conversation=conversation, user=author)

    ctx.on_finish(write_outcome)
    return {"message_id": str(message.pk), "status": status, "chars": len(text)}


# --- Titles ----------------------------------------------------------------------------------


def _provisional_title(text: str) -> str:
    plain = " ".join(prompts.MARKER.sub(" ", text).split())
    if not plain:
        return "New conversation"
    if len(plain) <= 60:
        return plain
    return plain[:57].rsplit(" ", 1)[0] + "…"


# What a model wraps a title in: heading hashes and quote marks before it, a "Title:" label (or
# the dev model's "Echo:"), markdown links and images (their text stays), emphasis and code marks.
_TITLE_LEAD = re.compile(r"^(?:\s*(?:#{1,6}\s+|>\s*|[-*+]\s+))+")
_TITLE_LABEL = re.compile(r"^\s*(?:echo|title)\s*:\s*", re.IGNORECASE)
_TITLE_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# Underscores only at a word's edge: `snake_case` inside a word is a name, not emphasis.
_TITLE_MARKS = re.compile(r"[`*~]+|(?<!\w)_+|_+(?!\w)")
_TITLE_QUOTES = "\"'“”‘’«» "


def _clean_title(text: str) -> str:
    """A model's answer to the title prompt as a plain one-line title."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    title = _TITLE_LEAD.sub("", first)
    title = _TITLE_MARKS.sub("", _TITLE_LINK.sub(r"\1", title))
    previous = None
    while previous != title:
        previous = title
        title = _TITLE_LABEL.sub("", title).strip(_TITLE_QUOTES)
    return " ".join(title.split())[:MAX_TITLE_CHARS].strip()


@transaction.atomic
def submit_title(*, conversation: Conversation, user: User | None) -> Job | None:
    """Queue the small title job once per conversation (several replies may finish first)."""
    locked = (
        Conversation.objects.select_for_update()
        .filter(pk=conversation.pk, title_generated=False, title_job_id__isnull=True)
        .first()
    )
    if locked is None or user is None:
        return None
    first = locked.messages.filter(role=Message.Role.USER).order_by("position").first()
    if first is None:
        return None
    prompt = prompts.title_messages(first.text)
    try:
        reservation = quotas.reserve(
            workspace=locked.workspace,
            user=user,
            feature="chat.title",
            messages=prompt,
            model=settings.LLM_MODEL,
            max_tokens=prompts.TITLE_MAX_TOKENS,
        )
    except LLMError:
        # No budget for a title: the provisional one (from the first message) stays.
        return None
    job = job_services.submit_job(
        workspace=locked.workspace,
        user=user,
        kind=TITLE_KIND,
        input={"conversation_id": str(locked.pk), "reservation_id": str(reservation.pk)},
        reservation=reservation,
    )
    Conversation.objects.filter(pk=locked.pk).update(title_job_id=job.pk)
    return job


def run_title(ctx: JobContext) -> dict[str, Any]:
    """The "chat.title" job: ask the model for a short title and store it."""
    conversation = (
        Conversation.objects.select_related("workspace")
        .filter(pk=ctx.job.input.get("conversation_id"))
        .first()
    )
    first = (
        conversation.messages.filter(role=Message.Role.USER).order_by("position").first()
        if conversation is not None
        else None
    )
    if conversation is None or first is None:
        _release_unused(ctx.job)
        return {"skipped": True}
    release_connection()
    result = gateway.complete(
        workspace=conversation.workspace,
        user=ctx.job.created_by,
        feature="chat.title",
        messages=prompts.title_messages(first.text),
        prompt_name=prompts.TITLE_PROMPT_NAME,
        prompt_version=prompts.TITLE_PROMPT_VERSION,
        max_tokens=prompts.TITLE_MAX_TOKENS,
        reservation=_job_reservation(ctx.job),
        job=ctx,
    )
    title = _clean_title(result.text)

    def write_outcome() -> None:
        if title:
            # A person may have renamed it meanwhile (title_generated = True): theirs wins.
            Conversation.objects.filter(pk=conversation.pk, title_generated=False).update(
                title=title, title_generated=True
            )

    ctx.on_finish(write_outcome)
    return {"title": title}


__all__ = [
    "ChatConflict",
    "ChatError",
    "Exchange",
    "QuotaExceeded",
    "delete_conversation",
    "edit_last_user_message",
    "reconcile_reply",
    "regenerate_reply",
    "rename_conversation",
    "run_reply",
    "run_title",
    "send_message",
    "set_collection",
    "start_conversation",
    "stop_reply",
    "submit_title",
]
