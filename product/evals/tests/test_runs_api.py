"""The runs API: start (checked, idempotent), read with its summary, cases with scores (paged),
cancel, resume, re-run, compare; another workspace's runs are 404."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from product.accounts.models import User, Workspace
from product.evals import runs
from product.evals.models import Run
from product.evals.tests import run_helpers  # noqa: F401 (registers the tests' graders)
from product.evals.tests.run_helpers import ask_row, make_version
from product.jobs.models import Job

pytestmark = [
    pytest.mark.usefixtures("devmodel_llm"),
    pytest.mark.django_db(transaction=True),
]


def post(client: Client, path: str, body: Any, headers: dict[str, Any], **extra: Any) -> Any:
    return client.post(
        path, data=json.dumps(body), content_type="application/json", **headers, **extra
    )


def _dataset(acme: Workspace, alice: User) -> Any:
    rows = [
        ask_row("[[reply: The refund is $40.]] x", "$40"),
        ask_row("[[reply: Nothing here.]] y", "April 3"),
        ask_row("[[reply: Fine, $40 it is.]] z", "$40"),
    ]
    return make_version(acme, alice, rows)


def _body(version: Any, **extra: Any) -> dict[str, Any]:
    return {
        "dataset_id": str(version.dataset_id),
        "graders": [{"name": "test_has_reference"}, {"name": "test_unscored"}],
        "name": "Baseline",
        **extra,
    }


def test_it_starts_a_run_reads_it_and_pages_its_cases(
    client: Client, alice: User, acme: Workspace, alice_api: dict[str, Any]
) -> None:
    version = _dataset(acme, alice)
    response = post(client, "/api/v1/runs", _body(version), alice_api)
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["job"]["status"], body["case_count"], body["prompt_version"]) == ("queued", 3, "1")
    assert (body["dataset_version"], body["target"]) == (1, "ask.once")

    runs.execute_run_inline(Run.objects.get(pk=body["id"]))
    done = client.get(f"/api/v1/runs/{body['id']}", **alice_api).json()
    assert done["job"]["status"] == "succeeded"
    has_reference, unscored = done["summary"]["graders"]
    assert (has_reference["mean"], has_reference["items"], has_reference["passed"]) == (2 / 3, 3, 2)
    assert (unscored["mean"], unscored["scored"], unscored["unscored"]) == (None, 0, 3)

    first = client.get(f"/api/v1/runs/{body['id']}/cases?limit=2", **alice_api).json()
    assert len(first["items"]) == 2 and first["next"]
    rest = client.get(first["next"], **alice_api).json()
    cases = first["items"] + rest["items"]
    assert len(cases) == 3 and rest["next"] is None
    for case in cases:
        assert case["status"] == "done" and len(case["call_ids"]) == 1
        grades = {score["grader"]: score for score in case["scores"]}
        assert grades["test_unscored"]["unscored"] is True
        assert grades["test_unscored"]["value"] is None
    listed = client.get("/api/v1/runs", **alice_api).json()["items"]
    assert [run["id"] for run in listed] == [body["id"]]


def test_it_refuses_a_bad_run_with_a_message_and_stores_nothing(
    client: Client, alice: User, acme: Workspace, alice_api: dict[str, Any]
) -> None:
    version = _dataset(acme, alice)
    bad = post(client, "/api/v1/runs", _body(version, config={"prompt_version": "7"}), alice_api)
    assert bad.status_code == 422
    assert "no prompt version '7'" in bad.json()["error"]["message"]
    unknown = post(client, "/api/v1/runs", _body(version, graders=[{"name": "nope"}]), alice_api)
    assert unknown.status_code == 422
    assert "no grader named" in unknown.json()["error"]["message"]
    assert not Run.objects.exists()


def test_it_is_idempotent(
    client: Client, alice: User, acme: Workspace, alice_api: dict[str, Any]
) -> None:
    version = _dataset(acme, alice)
    headers = {**alice_api, "HTTP_IDEMPOTENCY_KEY": "run-1"}
    first = post(client, "/api/v1/runs", _body(version), headers)
    again = post(client, "/api/v1/runs", _body(version), headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert Run.objects.count() == 1


def test_it_cancels_resumes_and_reruns(
    client: Client, alice: User, acme: Workspace, alice_api: dict[str, Any]
) -> None:
    version = _dataset(acme, alice)
    run_id = post(client, "/api/v1/runs", _body(version), alice_api).json()["id"]
    cancelled = post(client, f"/api/v1/runs/{run_id}/cancel", {}, alice_api).json()
    assert cancelled["job"]["status"] == "cancelled"
    resumed = post(client, f"/api/v1/runs/{run_id}/resume", {}, alice_api).json()
    assert resumed["job"]["status"] == "queued"
    runs.execute_run_inline(Run.objects.get(pk=run_id))
    finished = post(client, f"/api/v1/runs/{run_id}/resume", {}, alice_api)
    assert finished.status_code == 422
    assert "nothing to resume" in finished.json()["error"]["message"]
    again = post(client, f"/api/v1/runs/{run_id}/rerun", {}, alice_api)
    assert again.status_code == 202
    assert again.json()["id"] != run_id and again.json()["graders"] == resumed["graders"]


def test_it_compares_runs_with_the_regressed_case_first(
    client: Client, alice: User, acme: Workspace, alice_api: dict[str, Any]
) -> None:
    rows = [
        {"input": {"task": "summarise", "text": text}, "metadata": {"must_contain": [fact]}}
        for text, fact in [
            ("The refund is $40. It was sent on Monday. Support closed it.", "$40"),
            ("The office opens at nine. Parking is free. The launch is on April 3.", "April 3"),
        ]
    ]
    version = make_version(acme, alice, rows)
    ids = []
    for prompt_version in ("1", "2"):
        body = _body(
            version, graders=[{"name": "contains"}], config={"prompt_version": prompt_version}
        )
        run_id = post(client, "/api/v1/runs", body, alice_api).json()["id"]
        runs.execute_run_inline(Run.objects.get(pk=run_id))
        ids.append(run_id)
    response = client.get(f"/api/v1/comparisons?runs={ids[0]}&runs={ids[1]}", **alice_api)
    assert response.status_code == 200, response.content
    result = response.json()
    assert [run["id"] for run in result["runs"]] == ids
    first = result["cases"][0]
    assert first["regressed"] and first["input"]["text"].endswith("April 3.")
    assert first["cells"][1]["deltas"]["contains"] == -1.0
    [delta] = result["deltas"]
    assert delta["grader"] == "contains" and delta["delta"] == pytest.approx(-0.5)
    one = client.get(f"/api/v1/comparisons?runs={ids[0]}", **alice_api)
    assert one.status_code == 422


def test_another_workspace_gets_404(
    client: Client,
    alice: User,
    acme: Workspace,
    alice_api: dict[str, Any],
    charlie_api: dict[str, Any],
) -> None:
    version = _dataset(acme, alice)
    run_id = post(client, "/api/v1/runs", _body(version), alice_api).json()["id"]
    for path in [f"/api/v1/runs/{run_id}", f"/api/v1/runs/{run_id}/cases"]:
        assert client.get(path, **charlie_api).status_code == 404
    for action in ["cancel", "resume", "rerun"]:
        assert post(client, f"/api/v1/runs/{run_id}/{action}", {}, charlie_api).status_code == 404
    compared = client.get(f"/api/v1/comparisons?runs={run_id}&runs={run_id}", **charlie_api)
    assert compared.status_code == 404
    theirs = post(client, "/api/v1/runs", _body(version), charlie_api)
    assert theirs.status_code == 404
    assert client.get("/api/v1/runs", **charlie_api).json()["items"] == []
    assert Job.objects.filter(kind="evals.run").count() == 1
