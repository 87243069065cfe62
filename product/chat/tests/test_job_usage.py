"""A chat job's usage, read through the jobs API, is what the ledger charged for it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from product.accounts.models import User, Workspace
from product.apikeys.tests.factories import bearer, make_key
from product.chat.models import Conversation
from product.chat.tests.conftest import run_reply, send
from product.jobs import services as job_services
from product.llm.models import LLMCall

pytestmark = pytest.mark.usefixtures("devmodel_llm")


@pytest.fixture
def auth(alice: User, acme: Workspace) -> dict[str, Any]:
    return bearer(make_key(user=alice, workspace=acme))


def usage(client: Client, auth: dict[str, Any], job_id: Any) -> dict[str, Any]:
    body = client.get(f"/api/v1/jobs/{job_id}", **auth).json()
    assert body["status"] == "succeeded", body
    return body["usage"]  # type: ignore[no-any-return]


def test_it_reports_a_replys_calls_tokens_and_cost(
    client: Client, auth: dict[str, Any], conversation: Conversation, alice: User
) -> None:
    reply = run_reply(send(conversation, alice, "Hi [[reply: Hello, Alice.]]").reply)
    assert reply.llm_call_id is not None
    call = LLMCall.objects.get(pk=reply.llm_call_id)
    assert call.job_id == reply.job_id  # the job, not the message

    used = usage(client, auth, reply.job_id)
    assert used["calls"] == 1
    assert (used["input_tokens"], used["output_tokens"]) == (call.input_tokens, call.output_tokens)
    assert used["output_tokens"] == reply.output_tokens
    assert reply.output_tokens is not None and reply.output_tokens > 0
    assert Decimal(str(used["cost_usd"])) == call.cost_usd == reply.cost_usd
    assert used["cost_usd"] is not None and Decimal(str(used["cost_usd"])) > 0


def test_it_reports_a_title_jobs_calls_tokens_and_cost(
    client: Client, auth: dict[str, Any], conversation: Conversation, alice: User
) -> None:
    run_reply(send(conversation, alice, "Plan the launch [[reply: Sure.]]").reply)
    conversation.refresh_from_db()
    assert conversation.title_job_id is not None
    job_services.run_job(conversation.title_job_id)
    call = LLMCall.objects.get(job_id=conversation.title_job_id)
    assert call.feature == "chat.title"

    used = usage(client, auth, conversation.title_job_id)
    assert used["calls"] == 1
    assert (used["input_tokens"], used["output_tokens"]) == (call.input_tokens, call.output_tokens)
    assert used["output_tokens"] > 0
    assert Decimal(str(used["cost_usd"])) == call.cost_usd
