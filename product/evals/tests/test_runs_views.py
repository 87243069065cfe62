"""The run and compare pages: start a run from the form, watch it, cancel, resume, re-run, compare
two runs with the regressed case first; another workspace's runs are 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from product.accounts.models import User, Workspace
from product.evals import runs
from product.evals.models import Run
from product.evals.registry import GraderSpec, RunConfig
from product.evals.tests import run_helpers  # noqa: F401 (registers the tests' graders)
from product.evals.tests.run_helpers import make_version
from product.jobs.models import Job

pytestmark = [
    pytest.mark.usefixtures("devmodel_llm"),
    pytest.mark.django_db(transaction=True),
]

ROWS = [
    ("The refund is <b>$40</b>. It was sent on Monday. Support closed it.", "$40"),
    ("The office opens at nine. Parking is free. The launch is on April 3.", "April 3"),
]


def _version(acme: Workspace, alice: User) -> Any:
    rows = [
        {
            "input": {"task": "summarise", "text": text},
            "metadata": {"must_contain": [fact], "name": f"case {n}"},
        }
        for n, (text, fact) in enumerate(ROWS)
    ]
    return make_version(acme, alice, rows)


def _form(version: Any, **extra: Any) -> dict[str, Any]:
    return {
        "dataset": str(version.dataset_id),
        "top_k": "5",
        "repeats": "1",
        "grader_contains": "on",
        "params_contains": "{}",
        "grader_test_unscored": "on",
        "params_test_unscored": "",
        **extra,
    }


def test_it_starts_a_run_from_the_form_and_shows_its_cases(
    alice_client: Client, alice: User, acme: Workspace
) -> None:
    version = _version(acme, alice)
    page = alice_client.get(reverse("evals:run-create"))
    assert page.status_code == 200
    assert "v2 — Brief candidate" in page.content.decode()
    assert "keel-dev-small" in page.content.decode()
    # The dataset's feature suggests its graders: ticked to start with, the rest not.
    assert 'name="grader_contains" id="id_grader_contains" checked' in page.content.decode()
    assert 'name="grader_llm_judge" id="id_grader_llm_judge">' in page.content.decode()

    response = alice_client.post(
        reverse("evals:run-create"), _form(version, prompt_version="ask.once:2", name="Brief")
    )
    run = Run.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "evals:run-detail", args=[run.pk]
    )
    assert (run.prompt_version, run.name, [g["name"] for g in run.graders]) == (
        "2",
        "Brief",
        ["contains", "test_unscored"],
    )
    live = alice_client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in live.content.decode(), "it polls while the run runs"
    runs.execute_run_inline(run)
    html = alice_client.get(response["Location"]).content.decode()
    assert "2 of 2 cases" in html
    assert "unscored" in html and "counted apart" in html
    assert "The refund is &lt;b&gt;$40&lt;/b&gt;." in html, "outputs are escaped"
    assert "Missing" in html  # the second case lost its fact: the explanation says which
    assert 'hx-trigger="every 1s"' not in html


def test_the_form_says_what_is_wrong(alice_client: Client, alice: User, acme: Workspace) -> None:
    version = _version(acme, alice)
    bad_json = alice_client.post(reverse("evals:run-create"), _form(version, params_contains="{"))
    assert bad_json.status_code == 422
    assert "Not valid JSON" in bad_json.content.decode()
    wrong = alice_client.post(
        reverse("evals:run-create"), _form(version, prompt_version="chat.reply:1")
    )
    assert wrong.status_code == 422
    assert "pick one of its prompt versions" in wrong.content.decode()
    none = alice_client.post(
        reverse("evals:run-create"),
        {"dataset": str(version.dataset_id), "top_k": "5", "repeats": "1"},
    )
    assert "Pick at least one grader." in none.content.decode()
    assert not Run.objects.exists()


def test_it_cancels_resumes_and_reruns(alice_client: Client, alice: User, acme: Workspace) -> None:
    run = runs.submit_run(
        workspace=acme,
        user=alice,
        dataset_version=_version(acme, alice),
        config=RunConfig(),
        graders=[GraderSpec(name="contains")],
    )
    alice_client.post(reverse("evals:run-cancel", args=[run.pk]))
    run.job.refresh_from_db()
    assert run.job.status == Job.Status.CANCELLED
    assert "Resume" in alice_client.get(reverse("evals:run-detail", args=[run.pk])).content.decode()
    alice_client.post(reverse("evals:run-resume", args=[run.pk]))
    run.job.refresh_from_db()
    assert run.job.status == Job.Status.QUEUED
    again = alice_client.post(reverse("evals:run-rerun", args=[run.pk]))
    newer = Run.objects.exclude(pk=run.pk).get()
    assert again["Location"] == reverse("evals:run-detail", args=[newer.pk])


def test_the_comparison_shows_the_regressed_case_first(
    alice_client: Client, alice: User, acme: Workspace
) -> None:
    version = _version(acme, alice)
    made = []
    for prompt_version, name in [("1", "Current"), ("2", "Brief")]:
        run = runs.submit_run(
            workspace=acme,
            user=alice,
            dataset_version=version,
            config=RunConfig(prompt_version=prompt_version),
            graders=[GraderSpec(name="contains")],
            name=name,
        )
        made.append(runs.execute_run_inline(run))
    listed = alice_client.get(reverse("evals:run-list")).content.decode()
    assert "Current" in listed and "Brief" in listed
    url = reverse("evals:run-compare") + f"?runs={made[0].pk}&runs={made[1].pk}"
    html = alice_client.get(url).content.decode()
    cases = html.split('data-testid="compare-case"')[1:]
    assert len(cases) == 2
    assert "case 1" in cases[0] and "regressed" in cases[0]
    assert "case 0" in cases[1]
    assert "<del>" in cases[0], "the brief output is diffed against the baseline's"
    assert "&lt;b&gt;" in cases[1] and "<b>$40" not in html, "diffs are escaped"
    assert "1 case scored lower" in html
    one = alice_client.get(reverse("evals:run-compare") + f"?runs={made[0].pk}")
    assert one.status_code == 200 and "Tick between 2 and 5 runs" in one.content.decode()


def test_another_workspace_gets_404(alice: User, acme: Workspace, charlie_client: Client) -> None:
    version = _version(acme, alice)
    made = [
        runs.submit_run(
            workspace=acme,
            user=alice,
            dataset_version=version,
            config=RunConfig(),
            graders=[GraderSpec(name="contains")],
            name=f"Alice's run {n}",
        )
        for n in range(2)
    ]
    run = made[0]
    assert charlie_client.get(reverse("evals:run-detail", args=[run.pk])).status_code == 404
    for name in ["evals:run-cancel", "evals:run-resume", "evals:run-rerun"]:
        assert charlie_client.post(reverse(name, args=[run.pk])).status_code == 404
    url = reverse("evals:run-compare") + f"?runs={made[0].pk}&runs={made[1].pk}"
    assert charlie_client.get(url).status_code == 404
    assert "Alice's run" not in charlie_client.get(reverse("evals:run-list")).content.decode()
    assert Run.objects.count() == 2
