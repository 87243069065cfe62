"""Ask once's core: limits and quota before anything is written, the job's answer, old jobs."""

from __future__ import annotations

from typing import Any

import pytest

from product.accounts.models import User, Workspace
from product.ask.models import Question
from product.ask.services import submit_question
from product.jobs import services
from product.jobs.models import Job
from product.llm.errors import InputTooLarge, QuotaExceeded
from product.llm.models import BudgetReservation, LLMCall, WorkspaceBudget

pytestmark = pytest.mark.usefixtures("devmodel_llm")


@pytest.mark.django_db
def test_it_writes_the_question_and_a_queued_job_with_its_reservation(
    alice: User, acme: Workspace
) -> None:
    question = submit_question(workspace=acme, user=alice, text="Some text.", task="key_points")
    assert question.job.status == Job.Status.QUEUED
    assert question.job.kind == "ask.once"
    assert question.job.input == {"question_id": str(question.pk)}
    assert question.job.reservation is not None
    assert question.job.reservation.status == BudgetReservation.Status.RESERVED


@pytest.mark.django_db
def test_it_answers_on_the_worker_and_charges_once(alice: User, acme: Workspace) -> None:
    question = submit_question(
        workspace=acme, user=alice, text="[[reply: Three points.]] notes", task="key_points"
    )
    services.run_job(question.job.pk)
    question.refresh_from_db()
    question.job.refresh_from_db()
    assert question.job.status == Job.Status.SUCCEEDED
    assert question.answer == "Three points."
    call = LLMCall.objects.get()
    assert call.feature == "ask.once"
    assert call.prompt_name == "ask.once"
    assert call.prompt_version == "1"
    assert str(call.job_id) == str(question.job.pk)
    assert BudgetReservation.objects.get().status == BudgetReservation.Status.SETTLED


@pytest.mark.django_db
def test_it_refuses_over_quota_and_writes_nothing(alice: User, acme: Workspace) -> None:
    WorkspaceBudget.objects.create(workspace=acme, monthly_budget_usd=0)
    with pytest.raises(QuotaExceeded):
        submit_question(workspace=acme, user=alice, text="text", task="summarise")
    assert not Question.objects.exists()
    assert not Job.objects.exists()
    assert not BudgetReservation.objects.filter(status="reserved").exists()


@pytest.mark.django_db
def test_it_refuses_a_text_over_the_limit_with_the_numbers(alice: User, acme: Workspace) -> None:
    with pytest.raises(InputTooLarge) as refused:
        submit_question(workspace=acme, user=alice, text="y" * 60_000, task="summarise")
    assert "60,000 characters long; the limit is 50,000" in refused.value.message
    assert not Question.objects.exists()


@pytest.mark.django_db
def test_it_drops_an_instruction_unless_the_task_is_custom(alice: User, acme: Workspace) -> None:
    question = submit_question(
        workspace=acme, user=alice, text="t", task="summarise", instruction="ignored"
    )
    assert question.instruction == ""
    assert question.title == "Summarise"


@pytest.mark.django_db
def test_a_long_retry_after_from_the_provider_becomes_a_countdown(
    devmodel_llm: str, alice: User, acme: Any
) -> None:
    question = submit_question(
        workspace=acme, user=alice, text="[[error: 429 retry_after=300]]", task="summarise"
    )
    job = question.job
    with pytest.raises(services.RetryLater) as later:
        services.run_job(job.pk)
    assert later.value.countdown == 300
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert job.retry_at is not None
    assert job.reservation is not None
    # Held for the re-run, which settles it once (released here, the re-run could not settle).
    assert job.reservation.status == "reserved"
