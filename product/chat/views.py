"""The chat pages (htmx) and the SSE endpoints for a reply's tokens.

Pages are typed function views over services and selectors. The stream views are async (ASGI): a
reply's SSE connection holds no thread while it waits on Redis.
"""

from __future__ import annotations

import uuid
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from product.accounts.http import AuthenticatedHttpRequest
from product.accounts.models import User
from product.accounts.selectors import get_current_workspace
from product.apikeys.auth import Actor, WorkspaceSessionAuth, authenticate_api_key
from product.chat import citations, prompts, selectors, services, sse
from product.chat.models import Conversation, Message
from product.chat.schemas import MessageOut
from product.core.errors import KeelError, error_body, show_error
from product.core.http import is_fragment_request
from product.evals.selectors import feedback_of_user
from product.evals.views import rate_answer
from product.knowledge.selectors import collections_for_workspace
from product.observability.selectors import traces_for_jobs

TEMPLATE = "chat/conversation_detail.html"
# What a reply's thumbs rate: the chat.reply evaluation target (product/chat/evals.py).
FEEDBACK_TARGET = prompts.REPLY_PROMPT_NAME


def _page_context(
    request: AuthenticatedHttpRequest, conversation: Conversation | None, **extra: Any
) -> dict[str, Any]:
    workspace = conversation.workspace if conversation else get_current_workspace(request)
    query = request.GET.get("q", "").strip()
    context: dict[str, Any] = {
        "conversation": conversation,
        "conversations": selectors.conversations_for_workspace(workspace, query=query)[:50],
        "collections": collections_for_workspace(workspace),
        "query": query,
        "title_pending": bool(conversation and selectors.is_title_pending(conversation)),
        "text": "",
        "collection_id": "",
        "error": "",
        "max_message_chars": services.MAX_MESSAGE_CHARS,
    }
    if conversation is not None:
        history = list(selectors.messages_for_conversation(conversation))
        if history and not history[-1].is_finished:
            history[-1] = services.reconcile_reply(message=history[-1])
        context.update(_message_context(history, viewer=request.user))
    context.update(extra)
    return context


def _message_context(history: list[Message], *, viewer: User) -> dict[str, Any]:
    last = history[-1] if history else None
    last_user = next((m for m in reversed(history) if m.is_user), None)
    streaming = last is not None and not last.is_user and not last.is_finished
    readable = citations.readable_chunks(viewer, history)
    ratings = feedback_of_user(
        viewer,
        target=FEEDBACK_TARGET,
        subject_ids=[m.pk for m in history if not m.is_user and m.is_finished],
    )
    # The "Trace" link of each finished reply, for those who may open it (observability's door).
    traces = traces_for_jobs(viewer, [m.job_id for m in history if not m.is_user and m.is_finished])
    entries = []
    question = ""
    for message in history:
        reply = None
        if message.is_user:
            question = message.text
        elif message.is_finished:
            reply = citations.show_reply(message, readable=readable, question=question)
        trace = traces.get(message.job_id) if message.job_id is not None else None
        entries.append((message, reply, ratings.get(str(message.pk)), trace))
    return {
        "history": history,
        "entries": entries,
        "last_message": last,
        "last_user_message": last_user,
        "streaming": streaming,
        # The composer's Stop button posts here (chat.js follows the reply being written later).
        "stop_url": reverse("chat:message-stop", kwargs={"pk": last.pk})
        if streaming and last
        else "",
    }


def message_html(request: HttpRequest, message: Message, *, viewer: User) -> str:
    """One message as the page shows it (the SSE `done` event swaps it in for the raw text)."""
    reply = None
    if not message.is_user and message.is_finished:
        reply = citations.show_reply(
            message,
            readable=citations.readable_chunks(viewer, [message]),
            question=selectors.question_for(message) if message.citations else "",
        )
    feedback = feedback_of_user(viewer, target=FEEDBACK_TARGET, subject_ids=[message.pk])
    trace = None
    if reply is not None and message.job_id is not None:
        trace = traces_for_jobs(viewer, [message.job_id]).get(message.job_id)
    return render_to_string(
        "chat/_message.html",
        {
            "message": message,
            "reply": reply,
            "feedback": feedback.get(str(message.pk)),
            "trace": trace,
            "last_message": message,
            "streaming": False,
        },
        request=request,
    )


@require_GET
@login_required
@vary_on_headers("HX-Request")
def conversation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """/chat/: the newest conversation, or the empty state; with ?q= the search results."""
    workspace = get_current_workspace(request)
    fragment = request.GET.get("fragment")
    if fragment == "history":
        current = request.GET.get("current")
        conversation = (
            selectors.get_conversation_for_user(request.user, current) if current else None
        )
        context = _page_context(request, conversation)
        context["conversation"] = conversation
        context["history_fragment"] = True
        return render(request, TEMPLATE + "#history", context)
    if "q" not in request.GET:
        latest = selectors.latest_conversation(workspace)
        if latest is not None:
            return redirect("chat:conversation-detail", pk=latest.pk)
    return render(request, TEMPLATE, _page_context(request, None))


@require_http_methods(["GET", "POST"])
@login_required
def conversation_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, TEMPLATE, _page_context(request, None))
    workspace = get_current_workspace(request)
    text = request.POST.get("text", "")
    collection_id = request.POST.get("collection", "")
    try:
        collection = selectors.get_collection_for_chat(
            request.user, collection_id, workspace=workspace
        )
        # A failed first send (over quota) must not leave an empty conversation behind.
        with transaction.atomic():
            conversation = services.start_conversation(
                workspace=workspace, user=request.user, collection=collection
            )
            services.send_message(conversation=conversation, author=request.user, text=text)
    except KeelError as exc:
        return render(
            request,
            TEMPLATE,
            _page_context(request, None, text=text, collection_id=collection_id, error=exc.message),
            status=200 if request.htmx else 422,
        )
    return redirect("chat:conversation-detail", pk=conversation.pk)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def conversation_detail(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk)
    context = _page_context(request, conversation)
    template = TEMPLATE
    if is_fragment_request(request) and request.GET.get("fragment") == "message-list":
        template += "#message-list"
    response = render(request, template, context)
    return response


def _panel(
    request: AuthenticatedHttpRequest,
    conversation: Conversation,
    *,
    error: KeelError | None = None,
    **extra: Any,
) -> HttpResponse:
    """After a write: the message list for htmx (the error inline), the page (PRG, the error as a
    toast) without JS."""
    if is_fragment_request(request):
        if error is not None:
            extra["error"] = error.message
        return render(
            request, TEMPLATE + "#message-list", _page_context(request, conversation, **extra)
        )
    if error is not None:
        show_error(request, error)
    return redirect("chat:conversation-detail", pk=conversation.pk)


@require_POST
@login_required
def message_create(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk)
    text = request.POST.get("text", "")
    try:
        services.send_message(conversation=conversation, author=request.user, text=text)
    except KeelError as exc:
        return _panel(request, conversation, error=exc, text=text)
    response = _panel(request, conversation)
    # chat.js clears the composer only when the message was really sent.
    response["HX-Trigger"] = "chat:sent"
    return response


@require_POST
@login_required
def conversation_rename(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk)
    try:
        services.rename_conversation(conversation=conversation, title=request.POST.get("title", ""))
    except KeelError as exc:
        show_error(request, exc)
    return redirect("chat:conversation-detail", pk=conversation.pk)


@require_POST
@login_required
def conversation_collection_update(
    request: AuthenticatedHttpRequest, pk: uuid.UUID
) -> HttpResponse:
    """Which collection the next replies answer from (the empty choice: none)."""
    conversation = selectors.get_conversation_for_user(request.user, pk)
    try:
        collection = selectors.get_collection_for_chat(
            request.user, request.POST.get("collection", ""), workspace=conversation.workspace
        )
        services.set_collection(conversation=conversation, collection=collection)
    except KeelError as exc:
        show_error(request, exc)
    else:
        flash.success(
            request,
            f"Replies now answer from “{collection.name}”, with sources."
            if collection is not None
            else "Replies no longer use documents.",
        )
    return redirect("chat:conversation-detail", pk=conversation.pk)


@require_http_methods(["GET", "POST"])
@login_required
def conversation_delete(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk)
    if request.method == "POST":
        services.delete_conversation(conversation=conversation, user=request.user)
        flash.success(request, "Conversation deleted.")
        return redirect("chat:conversation-list")
    return render(request, "chat/conversation_confirm_delete.html", {"conversation": conversation})


@require_POST
@login_required
def message_stop(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    message = selectors.get_message_for_user(request.user, pk)
    try:
        services.stop_reply(message=message, user=request.user)
    except KeelError as exc:
        return _panel(request, message.conversation, error=exc)
    if is_fragment_request(request):
        # The stream's `done` event updates the page; nothing to swap here.
        return HttpResponse(status=204)
    return redirect("chat:conversation-detail", pk=message.conversation_id)


@require_POST
@login_required
def message_regenerate(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    message = selectors.get_message_for_user(request.user, pk)
    try:
        services.regenerate_reply(message=message, user=request.user)
    except KeelError as exc:
        return _panel(request, message.conversation, error=exc)
    return _panel(request, message.conversation)


@require_POST
@login_required
def message_edit(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    message = selectors.get_message_for_user(request.user, pk)
    try:
        services.edit_last_user_message(
            message=message, user=request.user, text=request.POST.get("text", "")
        )
    except KeelError as exc:
        return _panel(request, message.conversation, error=exc)
    return _panel(request, message.conversation)


@require_POST
@login_required
def message_feedback(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Thumbs up or down (and a comment) on a finished reply."""
    message = selectors.get_message_for_user(request.user, pk)
    url = reverse("chat:conversation-detail", kwargs={"pk": message.conversation_id})
    return rate_answer(
        request,
        workspace=message.conversation.workspace,
        target=FEEDBACK_TARGET,
        subject_id=message.pk,
        feedback_url=reverse("chat:message-feedback", kwargs={"pk": message.pk}),
        back_url=f"{url}#message-{message.pk}",
    )


# --- Streams (async) ------------------------------------------------------------------------


def _renderer(request: HttpRequest, viewer: User) -> sse.RenderMessage:
    def render_message(message: Message) -> dict[str, Any]:
        return {
            "message": MessageOut.from_message(message, viewer=viewer).model_dump(mode="json"),
            "html": message_html(request, message, viewer=viewer),
        }

    return render_message


async def message_stream(request: HttpRequest, pk: uuid.UUID) -> HttpResponseBase:
    """The browser's stream of one reply (session auth; any workspace the person belongs to)."""
    user = await request.auser()
    if not isinstance(user, User) or not user.is_authenticated:
        return HttpResponse("Sign in to follow this reply.", status=401)
    return await sse.open_stream(
        request, lambda: selectors.get_message_for_user(user, pk), _renderer(request, user)
    )


def _api_error(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse(error_body(code, message), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="keel"'
    return response


def _api_actor(request: HttpRequest) -> Actor | None:
    """The same callers as the ninja API: a Bearer key, else the browser session."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return authenticate_api_key(header[7:].strip())
    if request.user.is_authenticated:
        # Reading is safe from CSRF (GET), so the session's actor is enough.
        return WorkspaceSessionAuth().authenticate(request, None)
    return None


async def api_message_stream(request: HttpRequest, pk: uuid.UUID) -> HttpResponseBase:
    """GET /api/v1/messages/{id}/stream: served here (before the ninja include), since it streams."""
    if request.method != "GET":
        refused = _api_error(405, "method_not_allowed", "Use GET.")
        refused["Allow"] = "GET"
        return refused
    await request.auser()
    who = await sync_to_async(_api_actor)(request)
    if who is None:
        return _api_error(
            401,
            "unauthenticated",
            f"Send a valid API key: Authorization: Bearer {settings.API_KEY_PREFIX}…",
        )
    if "read" not in who.scopes:
        return _api_error(403, "missing_scope", "This API key lacks the 'read' scope.")

    def load() -> Message:
        return selectors.get_message_for_user(who.user, pk, workspace=who.workspace)

    try:
        return await sse.open_stream(request, load, _renderer(request, who.user))
    except Http404:
        return _api_error(404, "not_found", "Not found.")


def stream_url(message: Message) -> str:
    return reverse("chat:message-stream", kwargs={"pk": message.pk})
