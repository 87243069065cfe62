"""The trace pages: the list, a trace's waterfall, a model attempt with its bodies."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.observability import selectors
from product.observability.models import Trace
from product.observability.tests.factories import LLMCallFactory, TraceFactory, make_chat_trace

pytestmark = pytest.mark.django_db


def _h1s(html: str) -> int:
    return html.count("<h1>") + html.count("<h1 ")


def _detail(trace: Trace) -> str:
    return reverse("observability:trace-detail", kwargs={"trace_id": trace.trace_id})


def _call(trace: Trace, call_id: object) -> str:
    return reverse("observability:call-detail", kwargs={"trace_id": trace.trace_id, "pk": call_id})


# --- the list -----------------------------------------------------------------------------------


def test_it_lists_the_workspaces_traces_for_an_owner(
    alice_client: Client, alice: User, bob: User, acme: Workspace
) -> None:
    TraceFactory(workspace=acme, user=alice, name="ask.once")
    TraceFactory(workspace=acme, user=bob, name="chat.reply")
    response = alice_client.get(reverse("observability:trace-list"))
    html = response.content.decode()
    assert response.status_code == 200 and _h1s(html) == 1
    assert "ask.once" in html and "chat.reply" in html
    assert "everyone's in Acme" in html


def test_it_lists_only_a_members_own_traces(
    bob_client: Client, alice: User, bob: User, acme: Workspace
) -> None:
    TraceFactory(workspace=acme, user=alice, name="alices.trace")
    TraceFactory(workspace=acme, user=bob, name="bobs.trace")
    html = bob_client.get(reverse("observability:trace-list")).content.decode()
    assert "bobs.trace" in html and "alices.trace" not in html
    assert "owners and admins see everyone's" in html


def test_it_filters_the_list(alice_client: Client, alice: User, acme: Workspace) -> None:
    now = timezone.now()
    TraceFactory(workspace=acme, user=alice, name="chat.ok", feature="chat", started_at=now)
    TraceFactory(
        workspace=acme,
        user=alice,
        name="ask.failed",
        feature="ask",
        status=Trace.Status.ERROR,
        started_at=now - timedelta(hours=3),
    )
    url = reverse("observability:trace-list")

    def names(**query: str) -> set[str]:
        html = alice_client.get(url, query).content.decode()
        return set(re.findall(r">(chat\.ok|ask\.failed)</a>", html))

    assert names(feature="chat") == {"chat.ok"}
    assert names(status="error") == {"ask.failed"}
    assert names(period="1h") == {"chat.ok"}
    assert names(status="bogus", period="bogus") == {"chat.ok", "ask.failed"}  # ignored
    assert (
        "No traces match these filters"
        in alice_client.get(url, {"feature": "evals"}).content.decode()
    )


def test_it_pages_through_older_traces(
    alice_client: Client, alice: User, acme: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from product.observability import views

    monkeypatch.setattr(views, "TRACES_PER_PAGE", 2)
    now = timezone.now()
    for n in range(3):
        TraceFactory(
            workspace=acme, user=alice, name=f"trace.n{n}", started_at=now - timedelta(minutes=n)
        )
    url = reverse("observability:trace-list")
    first = alice_client.get(url).content.decode()
    assert "trace.n0" in first and "trace.n1" in first and "trace.n2" not in first
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older is not None
    second = alice_client.get(older.group(1).replace("&amp;", "&")).content.decode()
    assert "trace.n2" in second and "trace.n0" not in second


def test_it_answers_a_bad_cursor_with_400_and_the_first_page(
    alice_client: Client, alice: User, acme: Workspace
) -> None:
    TraceFactory(workspace=acme, user=alice, name="still.listed")
    response = alice_client.get(reverse("observability:trace-list"), {"cursor": "garbage!"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The cursor is not valid" in html and "still.listed" in html


# --- a trace ------------------------------------------------------------------------------------


def test_it_shows_the_waterfall(alice_client: Client, alice: User, acme: Workspace) -> None:
    trace, steps = make_chat_trace(workspace=acme, user=alice)
    response = alice_client.get(_detail(trace))
    html = response.content.decode()
    assert response.status_code == 200 and _h1s(html) == 1
    kinds = re.findall(r'data-kind="(\w+)" data-status="(\w+)" data-testid="trace-step"', html)
    assert kinds == [
        ("request", "ok"),
        ("queue", "ok"),
        ("job", "ok"),
        ("retrieval", "ok"),
        ("generation", "error"),
        ("generation", "ok"),
    ]
    # Bars are SVG attributes (the CSP forbids inline styles): the job starts 10 % in.
    assert 'x="10.000%" y="0" width="90.000%"' in html
    assert "ProviderError: 503 from the provider" in html
    assert "attempt 2" in html and "retry" in html
    assert _call(trace, steps["retry"].pk) in html
    assert 'hx-trigger="every 2s"' not in html  # finished: no polling


def test_it_polls_a_running_trace_with_its_fragment(
    alice_client: Client, alice: User, acme: Workspace
) -> None:
    trace = TraceFactory(workspace=acme, user=alice, status=Trace.Status.RUNNING, ended_at=None)
    page = alice_client.get(_detail(trace)).content.decode()
    assert 'hx-trigger="every 2s"' in page
    fragment = alice_client.get(_detail(trace), HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="trace-live"') and "<h1" not in fragment


def test_it_hides_others_traces_from_a_member_and_all_from_outsiders(
    bob_client: Client, charlie_client: Client, alice: User, bob: User, acme: Workspace
) -> None:
    alices, steps = make_chat_trace(workspace=acme, user=alice)
    bobs = TraceFactory(workspace=acme, user=bob)
    assert bob_client.get(_detail(bobs)).status_code == 200
    assert bob_client.get(_detail(alices)).status_code == 404
    assert bob_client.get(_call(alices, steps["retry"].pk)).status_code == 404
    assert charlie_client.get(_detail(alices)).status_code == 404
    assert charlie_client.get(_call(alices, steps["retry"].pk)).status_code == 404
    assert charlie_client.get(_detail(bobs)).status_code == 404
    assert bob_client.get("/observability/traces/" + "0" * 32 + "/").status_code == 404


# --- a model attempt ----------------------------------------------------------------------------


def test_it_shows_the_messages_sent_and_the_response_received(
    alice_client: Client, alice: User, acme: Workspace
) -> None:
    trace, steps = make_chat_trace(workspace=acme, user=alice)
    response = alice_client.get(_call(trace, steps["retry"].pk))
    html = response.content.decode()
    assert response.status_code == 200 and _h1s(html) == 1
    assert "Messages sent" in html
    assert "What is a keel?" in html and "You are helpful." in html
    assert "The backbone of a boat." in html
    assert "31 characters" in html
    assert "SentMessage(" not in html  # the messages sent are not the page's toasts
    assert "after <a" in html and "attempt 1</a>" in html  # the retry names its first attempt


def test_it_escapes_what_the_model_was_sent_and_said(
    alice_client: Client, alice: User, acme: Workspace
) -> None:
    trace = TraceFactory(workspace=acme, user=alice)
    call = LLMCallFactory(
        trace=trace,
        request_messages=[{"role": "user", "content": "<script>alert(1)</script>"}],
        response_text="<img src=x onerror=alert(2)>",
    )
    html = alice_client.get(_call(trace, call.pk)).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html


def test_it_says_when_the_workspace_stores_no_bodies(
    alice_client: Client, alice: User, acme: Workspace
) -> None:
    trace, steps = make_chat_trace(workspace=acme, user=alice, bodies=False)
    html = alice_client.get(_call(trace, steps["retry"].pk)).content.decode()
    assert "Bodies not stored (workspace setting)" in html
    assert "What is a keel?" not in html and "Messages sent" not in html
    assert "31 characters" in html and "23 characters" in html  # the sizes stay


def test_it_says_when_retention_pruned_the_bodies(
    alice_client: Client, alice: User, acme: Workspace, settings: object
) -> None:
    settings.LLM_BODY_RETENTION_DAYS = 30  # type: ignore[attr-defined]
    trace = TraceFactory(workspace=acme, user=alice)
    call = LLMCallFactory(
        trace=trace,
        request_messages=None,
        response_text=None,
        created_at=timezone.now() - timedelta(days=40),
    )
    html = alice_client.get(_call(trace, call.pk)).content.decode()
    assert "Bodies pruned after 30 days" in html


# --- a real reply, recorded ---------------------------------------------------------------------


@pytest.mark.usefixtures("devmodel_llm")
def test_it_shows_a_recorded_replys_trace_from_its_link(
    alice_client: Client, alice: User, acme: Workspace
) -> None:
    from product.chat import services as chat_services
    from product.chat.models import Message
    from product.chat.tests.conftest import run_reply

    conversation = chat_services.start_conversation(workspace=acme, user=alice)
    page = reverse("chat:conversation-detail", kwargs={"pk": conversation.pk})
    alice_client.post(
        reverse("chat:message-create", args=[conversation.pk]),
        {"text": "Where is the keel? [[reply: Under the hull.]]"},
    )
    reply = run_reply(conversation.messages.get(role=Message.Role.ASSISTANT))
    # Each step nests under the one it ran in: the job under the request that submitted it, the
    # queue wait and the model attempt under the job.
    assert reply.job_id is not None
    trace = Trace.objects.get(job_id=reply.job_id)
    steps = [(s.kind, s.depth) for s in selectors.trace_detail(trace).steps]
    assert steps == [("request", 0), ("job", 1), ("queue", 2), ("generation", 2)]

    link = re.search(r'href="([^"]+)" data-trace-link', alice_client.get(page).content.decode())
    assert link is not None
    waterfall = alice_client.get(link.group(1)).content.decode()
    assert 'data-kind="generation" data-status="ok"' in waterfall
    assert 'data-kind="request"' in waterfall and 'data-kind="queue"' in waterfall
    attempt = re.search(r'href="([^"]+)" data-testid="model-attempt"', waterfall)
    assert attempt is not None
    call = alice_client.get(attempt.group(1)).content.decode()
    assert "Where is the keel? [[reply: Under the hull.]]" in call
    assert "Under the hull." in call.split("Response received", 1)[1]
