"""Reads for chat. `get_conversation_for_user` and `get_message_for_user` are the only doors.

Both raise Http404 for anything outside the person's workspaces (and, for an API key, outside the
key's workspace), so a caller cannot leak whether an id exists.
"""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from product.accounts.models import User, Workspace
from product.chat.models import Conversation, Message
from product.core.errors import NotFound
from product.evals.registry import Example
from product.jobs.models import Job
from product.knowledge.models import Collection
from product.knowledge.selectors import get_collection_for_user
from product.llm.models import LLMCall


def _member_workspaces(user: User) -> QuerySet[Workspace]:
    return Workspace.objects.filter(memberships__user=user)


def get_conversation_for_user(
    user: User, conversation_id: uuid.UUID | str, *, workspace: Workspace | None = None
) -> Conversation:
    found = Conversation.objects.select_related("workspace").filter(
        pk=_valid_id(conversation_id), workspace__in=_member_workspaces(user)
    )
    if workspace is not None:
        found = found.filter(workspace=workspace)
    conversation = found.first()
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def get_message_for_user(
    user: User, message_id: uuid.UUID | str, *, workspace: Workspace | None = None
) -> Message:
    found = Message.objects.select_related("conversation__workspace").filter(
        pk=_valid_id(message_id), conversation__workspace__in=_member_workspaces(user)
    )
    if workspace is not None:
        found = found.filter(conversation__workspace=workspace)
    message = found.first()
    if message is None:
        raise Http404("No such message.")
    return message


def _valid_id(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404("Not found.") from exc


def get_collection_for_chat(
    user: User, collection_id: uuid.UUID | str | None, *, workspace: Workspace
) -> Collection | None:
    """The collection a conversation in `workspace` is to answer from (None or "": none).

    Through knowledge's door: another workspace's collection does not exist (404, as for any id
    outside the caller's workspace), with a message that says which id is meant."""
    if collection_id is None or collection_id == "":
        return None
    try:
        return get_collection_for_user(user, _valid_id(collection_id), workspace=workspace)
    except Http404 as exc:
        raise NotFound(
            "There is no such collection in this workspace; it may have been deleted. "
            "Pick another one, or none.",
            code="unknown_collection",
        ) from exc


def question_for(reply: Message) -> str:
    """The person's message a reply answers (what a grounded reply searched for)."""
    question = (
        Message.objects.filter(
            conversation_id=reply.conversation_id,
            position__lt=reply.position,
            role=Message.Role.USER,
        )
        .order_by("-position")
        .values_list("text", flat=True)
        .first()
    )
    return question or ""


def conversations_for_workspace(workspace: Workspace, *, query: str = "") -> QuerySet[Conversation]:
    """The history sidebar: newest activity first; `query` matches titles and message text."""
    found = Conversation.objects.filter(workspace=workspace)
    # NUL cannot be stored, so nothing matches it; the UI's search box just finds nothing more.
    query = query.replace("\x00", "").strip()
    if query:
        found = found.filter(
            Q(title__icontains=query) | Q(messages__text__icontains=query)
        ).distinct()
    return found.order_by("-last_message_at", "-created_at")


def messages_for_conversation(conversation: Conversation) -> QuerySet[Message]:
    return conversation.messages.order_by("position")


def latest_conversation(workspace: Workspace) -> Conversation | None:
    return conversations_for_workspace(workspace).first()


def is_title_pending(conversation: Conversation) -> bool:
    """True while the generated title may still arrive (the sidebar polls for it)."""
    if conversation.title_generated:
        return False
    if conversation.title_job_id is None:
        # Not asked yet: the first reply is still running.
        return conversation.messages.exists()
    job = Job.objects.filter(pk=conversation.title_job_id).only("status").first()
    return job is not None and not job.is_finished


def feedback_example(workspace: Workspace, subject_id: str) -> Example | None:
    """A finished reply as evaluation sees it (the `chat.reply` target's `example_for`): the
    conversation up to the person's message it answers, the reply, the model and prompt of its
    ledger call, and the documents a grounded reply cited."""
    try:
        message_id = uuid.UUID(str(subject_id))
    except ValueError:
        return None
    reply = (
        Message.objects.filter(
            pk=message_id,
            conversation__workspace=workspace,
            role=Message.Role.ASSISTANT,
            status__in=(Message.Status.DONE, Message.Status.STOPPED),
        )
        .select_related("conversation")
        .first()
    )
    if reply is None or not reply.text:
        return None
    turns = []
    for message in messages_for_conversation(reply.conversation).filter(
        position__lt=reply.position
    ):
        if message.is_user:
            turns.append({"role": "user", "content": message.text})
        elif message.status in (Message.Status.DONE, Message.Status.STOPPED) and message.text:
            turns.append({"role": "assistant", "content": message.text})
    while turns and turns[-1]["role"] != "user":
        turns.pop()
    if not turns:
        return None
    call = (
        LLMCall.objects.filter(pk=reply.llm_call_id, workspace=workspace).first()
        if reply.llm_call_id
        else None
    )
    sources: list[str] = []
    for citation in reply.citations or []:
        name = str(citation.get("document_name", "")) if isinstance(citation, dict) else ""
        if name and name not in sources:
            sources.append(name)
    url = reverse("chat:conversation-detail", kwargs={"pk": reply.conversation_id})
    return Example(
        input={"messages": turns},
        output=reply.text,
        model=call.model if call else reply.model,
        prompt_name=call.prompt_name if call else "",
        prompt_version=call.prompt_version if call else "",
        sources=sources,
        llm_call_id=str(call.pk) if call else None,
        url=f"{url}#message-{reply.pk}",
    )
