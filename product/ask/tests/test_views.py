"""The "Ask once" pages: ask, quota and limit messages, live status fragment, cancel, retry, 404s."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from product.accounts.models import User, Workspace
from product.ask.models import Question
from product.core.money import format_usd
from product.jobs import services
from product.jobs.models import Job
from product.llm.models import LLMCall, WorkspaceBudget

pytestmark = pytest.mark.usefixtures("devmodel_llm")


def submit(client: Client, text: str, task: str = "summarise", **extra: str) -> Any:
    return client.post(reverse("ask:question-list"), {"text": text, "task": task, **extra})


def h1_count(html: str) -> int:
    return len(re.findall(r"<h1[\s>]", html))


@pytest.mark.django_db
def test_it_shows_the_form_and_past_jobs(alice_client: Client) -> None:
    response = alice_client.get(reverse("ask:question-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert h1_count(html) == 1
    assert "No tasks yet" in html


@pytest.mark.django_db
def test_it_submits_a_task_and_shows_it_finished(alice_client: Client) -> None:
    response = submit(alice_client, "[[reply: The gist, in one line.]] Long text here.")
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "ask:question-detail", args=[Question.objects.get(job=job).pk]
    )

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
    assert escape(format_usd(call.cost_usd)) in page


@pytest.mark.django_db
def test_it_escapes_the_answer(alice_client: Client) -> None:
    submit(alice_client, "[[hostile]]")
    job = Job.objects.get()
    services.run_job(job.pk)
    page = alice_client.get(
        reverse("ask:question-detail", args=[Question.objects.get(job=job).pk])
    ).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.django_db
def test_it_serves_the_status_fragment_to_htmx_polls(alice_client: Client) -> None:
    submit(alice_client, "text")
    job = Job.objects.get()
    fragment = alice_client.get(
        reverse("ask:question-detail", args=[Question.objects.get(job=job).pk]),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert fragment.lstrip().startswith('<section id="question-status"')
    assert "<h1" not in fragment


@pytest.mark.django_db
def test_it_keeps_the_text_and_explains_when_over_budget(
    alice_client: Client, acme: Workspace
) -> None:
    WorkspaceBudget.objects.create(workspace=acme, monthly_budget_usd=0)
    response = submit(alice_client, "Please keep this pasted text.")
    assert response.status_code == 422
    html = response.content.decode()
    assert "used its AI budget for the month" in html
    assert "Please keep this pasted text." in html
    assert not Job.objects.exists()
    assert not LLMCall.objects.exists()


@pytest.mark.django_db
def test_it_asks_for_the_instruction_of_a_custom_task(alice_client: Client) -> None:
    response = submit(alice_client, "text", task="custom")
    assert response.status_code == 422
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
    page = alice_client.get(
        reverse("ask:question-detail", args=[Question.objects.get(job=job).pk])
    ).content.decode()
    assert "rejected the request" in page
    assert reverse("ask:question-retry", args=[Question.objects.get(job=job).pk]) in page

    response = alice_client.post(
        reverse("ask:question-retry", args=[Question.objects.get(job=job).pk])
    )
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
    response = bob_client.post(
        reverse("ask:question-cancel", args=[Question.objects.get(job=job).pk]),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Cancelled" in response.content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED


@pytest.mark.django_db
def test_teammates_see_each_others_questions(alice_client: Client, bob: User) -> None:
    submit(alice_client, "shared work")
    job = Job.objects.get()
    bob_client = Client()
    bob_client.force_login(bob)
    assert (
        bob_client.get(
            reverse("ask:question-detail", args=[Question.objects.get(job=job).pk])
        ).status_code
        == 200
    )


@pytest.mark.django_db
def test_it_answers_404_to_outsiders_on_every_question_url(
    alice_client: Client, charlie_client: Client
) -> None:
    submit(alice_client, "private")
    job = Job.objects.get()
    for name, method in [
        ("ask:question-detail", "get"),
        ("ask:question-cancel", "post"),
        ("ask:question-retry", "post"),
    ]:
        response = getattr(charlie_client, method)(
            reverse(name, args=[Question.objects.get(job=job).pk])
        )
        assert response.status_code == 404, name
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert "private" not in charlie_client.get(reverse("ask:question-list")).content.decode()


@pytest.mark.django_db
def test_it_needs_a_signed_in_user(client: Client, alice: User) -> None:
    response = client.get(reverse("ask:question-list"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_admin_lists_and_shows_questions_and_their_jobs(client: Client, alice: User) -> None:
    from product.accounts.models import User as UserModel

    admin_user = UserModel.objects.create_superuser("root@example.com", "pw-root-123456")
    submit_client = Client()
    submit_client.force_login(alice)
    submit(submit_client, "for the admin")
    job = Job.objects.get()
    client.force_login(admin_user)
    assert client.get(reverse("admin:jobs_job_changelist")).status_code == 200
    assert client.get(reverse("admin:jobs_job_change", args=[job.pk])).status_code == 200
    # Admin URL names from the model's own meta, so a copy of this test (startfeature) still works.
    admin_url = f"admin:{Question._meta.app_label}_{Question._meta.model_name}"
    question = Question.objects.get(job=job)
    assert client.get(reverse(f"{admin_url}_changelist")).status_code == 200
    assert client.get(reverse(f"{admin_url}_change", args=[question.pk])).status_code == 200


@pytest.mark.django_db
def test_it_names_the_task_in_the_list_and_on_the_page(alice_client: Client) -> None:
    submit(alice_client, "notes", task="key_points")
    job = Job.objects.get()
    assert "Extract key points" in alice_client.get(reverse("ask:question-list")).content.decode()
    page = alice_client.get(
        reverse("ask:question-detail", args=[Question.objects.get(job=job).pk])
    ).content.decode()
    assert re.search(r"<h1>\s*Extract key points\s*</h1>", page)


@pytest.mark.django_db
def test_the_list_polls_only_while_a_job_is_unfinished(alice_client: Client) -> None:
    submit(alice_client, "[[reply: done]]")
    job = Job.objects.get()
    fragment = alice_client.get(
        reverse("ask:question-list"), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert fragment.lstrip().startswith('<section id="question-history"')
    assert 'hx-trigger="every 2s"' in fragment
    services.run_job(job.pk)
    page = alice_client.get(reverse("ask:question-list")).content.decode()
    assert "Succeeded" in page
    assert 'hx-trigger="every 2s"' not in page


@pytest.mark.django_db
def test_it_refuses_a_text_over_the_limit_whole_and_keeps_it(alice_client: Client) -> None:
    # Finding: a 100 KB paste used to be cut to 50,000 characters by the textarea's maxlength and
    # run on the cut text. Now nothing cuts it: the server says why and keeps every character.
    text = "x" * 100_000
    response = submit(alice_client, text)
    assert response.status_code == 422
    html = response.content.decode()
    assert "This text is 100,000 characters long; the limit is 50,000." in html
    assert text in html
    assert not Job.objects.exists()
    assert not LLMCall.objects.exists()


@pytest.mark.django_db
def test_the_form_shows_its_limit_instead_of_a_maxlength(alice_client: Client) -> None:
    html = alice_client.get(reverse("ask:question-list")).content.decode()
    textarea = re.search(r"<textarea[^>]*>", html)
    assert textarea is not None
    assert "maxlength" not in textarea.group(0), "a maxlength cuts a long paste silently"
    assert 'data-max-chars="50000"' in textarea.group(0)


@pytest.mark.django_db
def test_it_keeps_the_question_when_its_job_is_retried(alice_client: Client) -> None:
    submit(alice_client, "[[fail_times: 1 status=400 key=view-keep]] the text")
    question = Question.objects.get()
    services.run_job(question.job.pk)
    alice_client.post(reverse("ask:question-retry", args=[question.pk]))
    assert Question.objects.get().text == "[[fail_times: 1 status=400 key=view-keep]] the text"
    assert Job.objects.count() == 1, "a retry re-runs the same job row"
