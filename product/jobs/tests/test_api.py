"""The jobs API: list, read, cancel and retry jobs of any kind; outsiders get 404.

Jobs are created by features (each through its own route, e.g. product/ask/tests/test_api.py); here
they are made directly, with the test kinds of handlers_for_tests.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from product.accounts.models import User, Workspace
from product.apikeys.tests.factories import bearer, make_key
from product.jobs import services
from product.jobs.models import Job

MakeJob = Callable[..., Job]


def post(client: Client, path: str, headers: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps({}), content_type="application/json", **headers)


@pytest.mark.django_db
def test_it_reads_a_job_with_its_result_and_usage(
    client: Client, alice_api: dict[str, Any], make_job: MakeJob
) -> None:
    job = make_job(input={"text": "hello"})
    services.run_job(job.pk)
    body = client.get(f"/api/v1/jobs/{job.pk}", **alice_api).json()
    assert body["status"] == "succeeded"
    assert body["kind"] == "test.echo"
    assert body["result"] == {"echo": "hello"}
    assert body["usage"]["calls"] == 0, "this kind calls no model"


@pytest.mark.django_db
def test_it_lists_the_workspace_jobs_of_every_kind(
    client: Client, alice_api: dict[str, Any], charlie_api: dict[str, Any], make_job: MakeJob
) -> None:
    make_job(kind="test.echo")
    make_job(kind="test.progress")
    make_job(kind="test.echo")
    page = client.get("/api/v1/jobs?limit=2", **alice_api).json()
    assert len(page["items"]) == 2
    assert page["next"]
    only_echo = client.get("/api/v1/jobs?kind=test.progress", **alice_api).json()["items"]
    assert [item["kind"] for item in only_echo] == ["test.progress"]
    assert client.get("/api/v1/jobs", **charlie_api).json()["items"] == []


@pytest.mark.django_db
def test_it_cancels_a_queued_job(
    client: Client, alice_api: dict[str, Any], make_job: MakeJob
) -> None:
    job = make_job()
    response = post(client, f"/api/v1/jobs/{job.pk}/cancel", alice_api)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


@pytest.mark.django_db
def test_it_retries_a_failed_job(
    client: Client, alice_api: dict[str, Any], make_job: MakeJob
) -> None:
    job = make_job(kind="test.flaky")
    services.run_job(job.pk)
    failed = client.get(f"/api/v1/jobs/{job.pk}", **alice_api).json()
    assert failed["status"] == "failed"
    assert failed["error_message"].startswith("The AI model is unavailable")
    retried = post(client, f"/api/v1/jobs/{job.pk}/retry", alice_api)
    assert retried.status_code == 200
    assert retried.json()["status"] == "queued"
    services.run_job(job.pk)
    assert client.get(f"/api/v1/jobs/{job.pk}", **alice_api).json()["status"] == "succeeded"
    # Retrying a job that succeeded is a conflict, not a second run.
    assert post(client, f"/api/v1/jobs/{job.pk}/retry", alice_api).status_code == 409


@pytest.mark.django_db
def test_it_hides_other_workspaces_jobs_on_every_route(
    client: Client, alice_api: dict[str, Any], charlie_api: dict[str, Any], make_job: MakeJob
) -> None:
    job = make_job()
    assert client.get(f"/api/v1/jobs/{job.pk}", **charlie_api).status_code == 404
    assert post(client, f"/api/v1/jobs/{job.pk}/cancel", charlie_api).status_code == 404
    assert post(client, f"/api/v1/jobs/{job.pk}/retry", charlie_api).status_code == 404
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED


@pytest.mark.django_db
def test_it_needs_the_write_scope_to_control_a_job(
    client: Client, alice: User, acme: Workspace, make_job: MakeJob
) -> None:
    read_only = bearer(make_key(user=alice, workspace=acme, scopes=("read",)))
    job = make_job()
    assert post(client, f"/api/v1/jobs/{job.pk}/cancel", read_only).status_code == 403
    assert client.get("/api/v1/jobs", **read_only).status_code == 200


@pytest.mark.django_db
def test_no_feature_creates_jobs_through_the_jobs_api(
    client: Client, alice_api: dict[str, Any]
) -> None:
    # Each feature owns its typed create route; the generic one is gone for good.
    response = client.post("/api/v1/jobs", data="{}", content_type="application/json", **alice_api)
    assert response.status_code == 405
    assert not Job.objects.exists()
