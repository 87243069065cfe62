"""The "Trace" link under each finished reply: on the page and in the SSE `done` fragment, only
for people who may open the trace (owners and admins: every reply's; members: their own)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from product.accounts.models import User, Workspace
from product.chat.models import Conversation, Message
from product.chat.tests.factories import ConversationFactory, MessageFactory
from product.chat.tests.test_sse import read_stream
from product.jobs.tests.factories import JobFactory
from product.observability.models import Trace
from product.observability.tests.factories import TraceFactory

pytestmark = pytest.mark.django_db


def _reply(conversation: Conversation, author: User, position: int) -> tuple[Message, Trace]:
    """`author`'s question and its finished reply, whose job has a trace."""
    MessageFactory(conversation=conversation, author=author, position=position, text="Hi")
    trace = TraceFactory(workspace=conversation.workspace, user=author)
    job = JobFactory(
        workspace=conversation.workspace,
        created_by=author,
        kind="chat.reply",
        trace_id=trace.trace_id,
    )
    reply = MessageFactory(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        position=position + 1,
        text="Hello!",
        job_id=job.pk,
        model="dev-small",
        input_tokens=3,
        output_tokens=2,
    )
    return reply, trace


def _link(trace: Trace) -> str:
    return reverse("observability:trace-detail", kwargs={"trace_id": trace.trace_id})


def test_it_links_each_reply_to_its_trace_for_whoever_may_open_it(
    alice: User, bob: User, acme: Workspace, alice_client: Client, bob_client: Client
) -> None:
    conversation = ConversationFactory(workspace=acme, created_by=alice)
    _, alices = _reply(conversation, alice, 0)
    _, bobs = _reply(conversation, bob, 2)
    url = reverse("chat:conversation-detail", kwargs={"pk": conversation.pk})
    owner_sees = alice_client.get(url).content.decode()
    assert _link(alices) in owner_sees and _link(bobs) in owner_sees
    member_sees = bob_client.get(url).content.decode()
    assert _link(bobs) in member_sees and _link(alices) not in member_sees


def test_it_puts_the_link_in_the_done_fragment(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    conversation = ConversationFactory(workspace=acme, created_by=alice)
    reply, trace = _reply(conversation, alice, 0)
    (done,) = read_stream(alice_client, reverse("chat:message-stream", kwargs={"pk": reply.pk}))
    assert done["event"] == "done"
    assert _link(trace) in done["data"]["html"] and "data-trace-link" in done["data"]["html"]


def test_it_links_a_failed_reply_too(alice: User, acme: Workspace, alice_client: Client) -> None:
    conversation = ConversationFactory(workspace=acme, created_by=alice)
    reply, trace = _reply(conversation, alice, 0)
    Message.objects.filter(pk=reply.pk).update(
        status=Message.Status.FAILED, output_tokens=None, error_message="The model failed."
    )
    url = reverse("chat:conversation-detail", kwargs={"pk": conversation.pk})
    assert _link(trace) in alice_client.get(url).content.decode()
