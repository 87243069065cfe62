"""The "Trace" link on an Ask once answer: only for people who may open the trace."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from product.accounts.models import User, Workspace
from product.ask.tests.factories import QuestionFactory
from product.observability.tests.factories import TraceFactory

pytestmark = pytest.mark.django_db


def test_it_links_the_answer_to_its_trace(
    alice: User, bob: User, acme: Workspace, alice_client: Client, bob_client: Client
) -> None:
    question = QuestionFactory(workspace=acme, created_by=alice)
    trace = TraceFactory(workspace=acme, user=alice)
    question.job.trace_id = trace.trace_id
    question.job.save(update_fields=["trace_id"])
    url = reverse("ask:question-detail", kwargs={"pk": question.pk})
    link = reverse("observability:trace-detail", kwargs={"trace_id": trace.trace_id})
    assert link in alice_client.get(url).content.decode()
    # bob may read his teammate's answer, not her trace.
    page = bob_client.get(url)
    assert page.status_code == 200 and link not in page.content.decode()


def test_it_shows_no_link_without_a_trace(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    question = QuestionFactory(workspace=acme, created_by=alice)
    url = reverse("ask:question-detail", kwargs={"pk": question.pk})
    assert "data-trace-link" not in alice_client.get(url).content.decode()
