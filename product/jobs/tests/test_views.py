"""The "Ask once" pages: submit, quota message, live status fragment, cancel, retry, 404s."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from product.accounts.models import User, Workspace
from product.jobs import services
from product.jobs.models import Job
from product.llm.models import LLMCall, WorkspaceBudget

pytestmark = pytest.mark.usefixtures("devmodel_llm")


def submit(client: Client, text: str, task: str = "summarise", **extra: str) -> Any:
    return client.post(reverse("jobs:job-list"), {"text": text, "task": task, **extra})


def h1_count(html: str) -> int:
    return len(re.findall(r"<h1[\s>]", html))


@pytest.mark.django_db
def test_it_shows_the_form_and_past_jobs(alice_client: Client) -> None:
    response = alice_client.get(reverse("jobs:job-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert h1_count(html) == 1
    assert "No jobs yet" in html


@pytest.mark.django_db
def test_it_submits_a_task_and_shows_it_finished(alice_client: Client) -> None:
    response = submit(alice_client, "[[reply: The gist, in one line.]] Long text here.")
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:job-detail", args=[job.pk])

    page = alice_client.get(response["Location"]).content.decode()
    assert "Queued" in page
    assert 'hx-trigger="every 1s"' in page

    services.run_job(job.pk)
    page = alice_client.get(response["Location"]).content.decode()
    assert h1_count(page) == 1
    assert "The gist, in one line." in page
    assert 'hx-trigger="every 1s"' not in page, "polling stops once the job is done"
    call = LLMCall.objects.get(job_id=job.pk)
    assert f"{call.input_tokens} in" in page
    assert f"{call.latency_ms} ms" in page
    assert "$0.0000" in page


@pytest.mark.django_db
def test_it_escapes_the_answer(alice_client: Client) -> None:
    submit(alice_client, "[[hostile]]")
    job = Job.objects.get()
    services.run_job(job.pk)
    page = alice_client.get(reverse("jobs:job-detail", args=[job.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.django_db
def test_it_serves_the_status_fragment_to_htmx_polls(alice_client: Client) -> None:
    submit(alice_client, "text")
    job = Job.objects.get()
    fragment = alice_client.get(
        reverse("jobs:job-detail", args=[job.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert fragment.lstrip().startswith('<section id="job-status"')
    assert "<h1" not in fragment


@pytest.mark.django_db
def test_it_keeps_the_text_and_explains_when_over_budget(
    alice_client: Client, acme: Workspace
) -> None:
    WorkspaceBudget.objects.create(workspace=acme, monthly_budget_usd=0)
    response = submit(alice_client, "Please keep this pasted text.")
    assert response.status_code == 200
    html = response.content.decode()
    assert "used its AI budget for the month" in html
    assert "Please keep this pasted text." in html
    assert not Job.objects.exists()
    assert not LLMCall.objects.exists()


@pytest.mark.django_db
def test_it_asks_for_the_instruction_of_a_custom_task(alice_client: Client) -> None:
    response = submit(alice_client, "text", task="custom")
    assert response.status_code == 200
    assert "Write the instruction" in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_it_sends_the_custom_instruction_to_the_model(alice_client: Client) -> None:
    submit(
        alice_client,
        "[[expect: List every date]] text",
        task="custom",
        instruction="List every date",
    )
    job = Job.objects.get()
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error_message


@pytest.mark.django_db
def test_it_shows_a_readable_failure_and_retries_it(alice_client: Client) -> None:
    submit(alice_client, "[[fail_times: 1 status=400 key=view-retry]] text")
    job = Job.objects.get()
    services.run_job(job.pk)
    page = alice_client.get(reverse("jobs:job-detail", args=[job.pk])).content.decode()
    assert "rejected the request" in page
    assert reverse("jobs:job-retry", args=[job.pk]) in page

    response = alice_client.post(reverse("jobs:job-retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED


@pytest.mark.django_db
def test_it_cancels_from_the_page(bob_client: Client) -> None:
    submit(bob_client, "text")
    job = Job.objects.get()
    response = bob_client.post(reverse("jobs:job-cancel", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Cancelled" in response.content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED


@pytest.mark.django_db
def test_teammates_see_each_others_jobs(alice_client: Client, bob: User) -> None:
    submit(alice_client, "shared work")
    job = Job.objects.get()
    bob_client = Client()
    bob_client.force_login(bob)
    assert bob_client.get(reverse("jobs:job-detail", args=[job.pk])).status_code == 200


@pytest.mark.django_db
def test_it_answers_404_to_outsiders_on_every_job_url(
    alice_client: Client, charlie_client: Client
) -> None:
    submit(alice_client, "private")
    job = Job.objects.get()
    for name, method in [
        ("jobs:job-detail", "get"),
        ("jobs:job-cancel", "post"),
        ("jobs:job-retry", "post"),
    ]:
        response = getattr(charlie_client, method)(reverse(name, args=[job.pk]))
        assert response.status_code == 404, name
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert "private" not in charlie_client.get(reverse("jobs:job-list")).content.decode()


@pytest.mark.django_db
def test_it_needs_a_signed_in_user(client: Client, alice: User) -> None:
    response = client.get(reverse("jobs:job-list"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_admin_lists_and_shows_jobs(client: Client, alice: User) -> None:
    from product.accounts.models import User as UserModel

    admin_user = UserModel.objects.create_superuser("root@example.com", "pw-root-123456")
    submit_client = Client()
    submit_client.force_login(alice)
    submit(submit_client, "for the admin")
    job = Job.objects.get()
    client.force_login(admin_user)
    assert client.get(reverse("admin:jobs_job_changelist")).status_code == 200
    assert client.get(reverse("admin:jobs_job_change", args=[job.pk])).status_code == 200


@pytest.mark.django_db
def test_it_names_the_task_in_the_list_and_on_the_page(alice_client: Client) -> None:
    submit(alice_client, "notes", task="key_points")
    job = Job.objects.get()
    assert "Extract key points" in alice_client.get(reverse("jobs:job-list")).content.decode()
    page = alice_client.get(reverse("jobs:job-detail", args=[job.pk])).content.decode()
    assert re.search(r"<h1>\s*Extract key points\s*</h1>", page)


@pytest.mark.django_db
def test_the_list_polls_only_while_a_job_is_unfinished(alice_client: Client) -> None:
    submit(alice_client, "[[reply: done]]")
    job = Job.objects.get()
    fragment = alice_client.get(reverse("jobs:job-list"), HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="job-history"')
    assert 'hx-trigger="every 2s"' in fragment
    services.run_job(job.pk)
    page = alice_client.get(reverse("jobs:job-list")).content.decode()
    assert "Succeeded" in page
    assert 'hx-trigger="every 2s"' not in page
