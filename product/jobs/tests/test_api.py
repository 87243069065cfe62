"""The jobs API: submit (idempotent, quota-checked), read, list, cancel, retry; outsiders get 404."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from product.accounts.models import User, Workspace
from product.apikeys.tests.factories import bearer, make_key
from product.jobs import services
from product.jobs.models import Job
from product.llm.models import BudgetReservation, LLMCall, WorkspaceBudget

pytestmark = pytest.mark.usefixtures("devmodel_llm")
ASK = {"kind": "ask.once", "input": {"text": "[[reply: A short summary.]]", "task": "summarise"}}


@pytest.fixture
def alice_api(alice: User, acme: Workspace) -> dict[str, Any]:
    return bearer(make_key(user=alice, workspace=acme))


@pytest.fixture
def charlie_api(charlie: User) -> dict[str, Any]:
    return bearer(make_key(user=charlie, workspace=Workspace.objects.get(name="Charlie's corner")))


def post(client: Client, path: str, body: Any, headers: dict[str, Any], **extra: Any) -> Any:
    return client.post(
        path, data=json.dumps(body), content_type="application/json", **headers, **extra
    )


@pytest.mark.django_db
def test_it_accepts_a_job_with_202_and_runs_it(client: Client, alice_api: dict[str, Any]) -> None:
    response = post(client, "/api/v1/jobs", ASK, alice_api)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued"
    assert body["kind"] == "ask.once"
    assert BudgetReservation.objects.filter(status="reserved").count() == 1

    services.run_job(body["id"])  # what the worker does
    done = client.get(f"/api/v1/jobs/{body['id']}", **alice_api).json()
    assert done["status"] == "succeeded"
    assert done["result"]["text"] == "A short summary."
    assert done["usage"]["calls"] == 1
    assert done["usage"]["output_tokens"] > 0
    assert float(done["usage"]["cost_usd"]) > 0
    assert BudgetReservation.objects.get().status == "settled"


@pytest.mark.django_db
def test_it_replays_the_first_response_for_the_same_idempotency_key(
    client: Client, alice_api: dict[str, Any]
) -> None:
    first = post(client, "/api/v1/jobs", ASK, alice_api, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(client, "/api/v1/jobs", ASK, alice_api, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_a_reused_idempotency_key_with_another_body(
    client: Client, alice_api: dict[str, Any]
) -> None:
    post(client, "/api/v1/jobs", ASK, alice_api, HTTP_IDEMPOTENCY_KEY="k-2")
    other = {**ASK, "input": {"text": "something else", "task": "summarise"}}
    response = post(client, "/api/v1/jobs", other, alice_api, HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_it_answers_429_with_retry_after_over_budget_and_queues_nothing(
    client: Client, alice_api: dict[str, Any], acme: Workspace
) -> None:
    WorkspaceBudget.objects.create(workspace=acme, monthly_budget_usd=0)
    response = post(client, "/api/v1/jobs", ASK, alice_api, HTTP_IDEMPOTENCY_KEY="k-3")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "budget_exceeded"
    assert not Job.objects.exists()
    assert not LLMCall.objects.exists()
    # The failed attempt did not burn the key.
    WorkspaceBudget.objects.filter(workspace=acme).update(monthly_budget_usd=100)
    assert (
        post(client, "/api/v1/jobs", ASK, alice_api, HTTP_IDEMPOTENCY_KEY="k-3").status_code == 202
    )


@pytest.mark.django_db
def test_it_answers_429_when_the_user_sends_too_many_requests(
    client: Client, alice_api: dict[str, Any], settings: Any
) -> None:
    settings.LLM_USER_REQUESTS_PER_MINUTE = 1
    assert post(client, "/api/v1/jobs", ASK, alice_api).status_code == 202
    response = post(client, "/api/v1/jobs", ASK, alice_api)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in response


@pytest.mark.django_db
def test_it_validates_the_input(client: Client, alice_api: dict[str, Any]) -> None:
    custom = {"kind": "ask.once", "input": {"text": "x", "task": "custom"}}
    assert post(client, "/api/v1/jobs", custom, alice_api).status_code == 422
    unknown = {"kind": "chat.reply", "input": {"text": "x"}}
    assert post(client, "/api/v1/jobs", unknown, alice_api).status_code == 422
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_it_lists_the_workspace_jobs(
    client: Client, alice_api: dict[str, Any], charlie_api: dict[str, Any]
) -> None:
    for _ in range(3):
        post(client, "/api/v1/jobs", ASK, alice_api)
    page = client.get("/api/v1/jobs?limit=2", **alice_api).json()
    assert len(page["items"]) == 2
    assert page["next"]
    assert client.get("/api/v1/jobs", **charlie_api).json()["items"] == []


@pytest.mark.django_db
def test_it_cancels_a_queued_job(client: Client, alice_api: dict[str, Any]) -> None:
    job_id = post(client, "/api/v1/jobs", ASK, alice_api).json()["id"]
    response = post(client, f"/api/v1/jobs/{job_id}/cancel", {}, alice_api)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert BudgetReservation.objects.get().status == "released"


@pytest.mark.django_db
def test_it_retries_a_failed_job(client: Client, alice_api: dict[str, Any]) -> None:
    flaky = {
        "kind": "ask.once",
        "input": {"text": "[[fail_times: 1 status=400 key=api-retry]]", "task": "summarise"},
    }
    job_id = post(client, "/api/v1/jobs", flaky, alice_api).json()["id"]
    services.run_job(job_id)
    failed = client.get(f"/api/v1/jobs/{job_id}", **alice_api).json()
    assert failed["status"] == "failed"
    assert failed["error_message"]
    retried = post(client, f"/api/v1/jobs/{job_id}/retry", {}, alice_api)
    assert retried.status_code == 200
    assert retried.json()["status"] == "queued"
    services.run_job(job_id)
    assert client.get(f"/api/v1/jobs/{job_id}", **alice_api).json()["status"] == "succeeded"
    # Retrying a job that succeeded is a conflict, not a second run.
    assert post(client, f"/api/v1/jobs/{job_id}/retry", {}, alice_api).status_code == 409


@pytest.mark.django_db
def test_it_hides_other_workspaces_jobs_on_every_route(
    client: Client, alice_api: dict[str, Any], charlie_api: dict[str, Any]
) -> None:
    job_id = post(client, "/api/v1/jobs", ASK, alice_api).json()["id"]
    assert client.get(f"/api/v1/jobs/{job_id}", **charlie_api).status_code == 404
    assert post(client, f"/api/v1/jobs/{job_id}/cancel", {}, charlie_api).status_code == 404
    assert post(client, f"/api/v1/jobs/{job_id}/retry", {}, charlie_api).status_code == 404
    assert Job.objects.get(pk=job_id).status == Job.Status.QUEUED


@pytest.mark.django_db
def test_it_needs_the_write_scope_to_submit(client: Client, alice: User, acme: Workspace) -> None:
    read_only = bearer(make_key(user=alice, workspace=acme, scopes=("read",)))
    assert post(client, "/api/v1/jobs", ASK, read_only).status_code == 403
    assert client.get("/api/v1/jobs", **read_only).status_code == 200
