"""The ask API: ask (idempotent, quota-checked, limits in words), read, list; outsiders get 404."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from product.accounts.models import User, Workspace
from product.apikeys.tests.factories import bearer, make_key
from product.ask.models import Question
from product.jobs import services
from product.jobs.models import Job
from product.llm.models import BudgetReservation, LLMCall, WorkspaceBudget

pytestmark = pytest.mark.usefixtures("devmodel_llm")
ASK = {"text": "[[reply: A short summary.]]", "task": "summarise"}


def post(client: Client, path: str, body: Any, headers: dict[str, Any], **extra: Any) -> Any:
    return client.post(
        path, data=json.dumps(body), content_type="application/json", **headers, **extra
    )


@pytest.mark.django_db
def test_it_accepts_a_question_with_202_and_answers_it(
    client: Client, alice_api: dict[str, Any]
) -> None:
    response = post(client, "/api/v1/questions", ASK, alice_api)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["job"]["status"] == "queued"
    assert body["job"]["kind"] == "ask.once"
    assert body["text"] == ASK["text"]
    assert body["answer"] == ""
    assert BudgetReservation.objects.filter(status="reserved").count() == 1

    services.run_job(body["job"]["id"])  # what the worker does
    done = client.get(f"/api/v1/questions/{body['id']}", **alice_api).json()
    assert done["job"]["status"] == "succeeded"
    assert done["answer"] == "A short summary."
    call = LLMCall.objects.get(job_id=body["job"]["id"])
    usage = done["job"]["usage"]
    assert usage["calls"] == 1
    assert (usage["input_tokens"], usage["output_tokens"]) == (
        call.input_tokens,
        call.output_tokens,
    )
    assert usage["output_tokens"] > 0
    assert call.cost_usd is not None and call.cost_usd > 0
    assert Decimal(str(usage["cost_usd"])) == call.cost_usd
    reservation = BudgetReservation.objects.get()
    assert (reservation.status, reservation.actual_usd) == ("settled", call.cost_usd)
    # The jobs API sees the same job, with the same usage.
    job = client.get(f"/api/v1/jobs/{body['job']['id']}", **alice_api).json()
    assert job["usage"] == done["job"]["usage"]


@pytest.mark.django_db
def test_it_replays_the_first_response_for_the_same_idempotency_key(
    client: Client, alice_api: dict[str, Any]
) -> None:
    first = post(client, "/api/v1/questions", ASK, alice_api, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(client, "/api/v1/questions", ASK, alice_api, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert Question.objects.count() == Job.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_a_reused_idempotency_key_with_another_body(
    client: Client, alice_api: dict[str, Any]
) -> None:
    post(client, "/api/v1/questions", ASK, alice_api, HTTP_IDEMPOTENCY_KEY="k-2")
    other = {"text": "something else", "task": "summarise"}
    response = post(client, "/api/v1/questions", other, alice_api, HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Question.objects.count() == 1


@pytest.mark.django_db
def test_it_answers_429_with_retry_after_over_budget_and_queues_nothing(
    client: Client, alice_api: dict[str, Any], acme: Workspace
) -> None:
    WorkspaceBudget.objects.create(workspace=acme, monthly_budget_usd=0)
    response = post(client, "/api/v1/questions", ASK, alice_api, HTTP_IDEMPOTENCY_KEY="k-3")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "budget_exceeded"
    assert not Job.objects.exists()
    assert not Question.objects.exists()
    assert not LLMCall.objects.exists()
    # The failed attempt did not burn the key.
    WorkspaceBudget.objects.filter(workspace=acme).update(monthly_budget_usd=100)
    again = post(client, "/api/v1/questions", ASK, alice_api, HTTP_IDEMPOTENCY_KEY="k-3")
    assert again.status_code == 202


@pytest.mark.django_db
def test_it_answers_429_when_the_user_sends_too_many_requests(
    client: Client, alice_api: dict[str, Any], settings: Any
) -> None:
    settings.LLM_USER_REQUESTS_PER_MINUTE = 1
    assert post(client, "/api/v1/questions", ASK, alice_api).status_code == 202
    response = post(client, "/api/v1/questions", ASK, alice_api)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in response


@pytest.mark.django_db
def test_it_validates_the_input(client: Client, alice_api: dict[str, Any]) -> None:
    custom = {"text": "x", "task": "custom"}
    response = post(client, "/api/v1/questions", custom, alice_api)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "body.instruction"
    assert (
        post(client, "/api/v1/questions", {"text": "", "task": "x"}, alice_api).status_code == 422
    )
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_text_over_the_limit_and_says_the_limit(
    client: Client, alice_api: dict[str, Any]
) -> None:
    response = post(client, "/api/v1/questions", {"text": "x" * 100_000}, alice_api)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["field"] == "body.payload.text"
    assert "50000" in error["details"][0]["message"]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_it_lists_the_workspace_questions(
    client: Client, alice_api: dict[str, Any], charlie_api: dict[str, Any]
) -> None:
    for _ in range(3):
        post(client, "/api/v1/questions", ASK, alice_api)
    page = client.get("/api/v1/questions?limit=2", **alice_api).json()
    assert len(page["items"]) == 2
    assert page["items"][0]["job"]["status"] == "queued"
    assert page["next"]
    assert client.get("/api/v1/questions", **charlie_api).json()["items"] == []


@pytest.mark.django_db
def test_it_hides_other_workspaces_questions(
    client: Client, alice_api: dict[str, Any], charlie_api: dict[str, Any]
) -> None:
    question_id = post(client, "/api/v1/questions", ASK, alice_api).json()["id"]
    assert client.get(f"/api/v1/questions/{question_id}", **charlie_api).status_code == 404


@pytest.mark.django_db
def test_it_needs_the_write_scope_to_ask(client: Client, alice: User, acme: Workspace) -> None:
    read_only = bearer(make_key(user=alice, workspace=acme, scopes=("read",)))
    assert post(client, "/api/v1/questions", ASK, read_only).status_code == 403
    assert client.get("/api/v1/questions", **read_only).status_code == 200
