"""Budget accounting over a mixed run: each reservation ends once, settled iff its job was charged.

Succeeded jobs settle (their answer was charged); failed, cancelled and given-up jobs release; a
countdown retry keeps its reservation for the re-run, which settles it once. A cancelled job whose
model call had already answered (a stopped stream) is charged, so it settles too.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.ask.services import submit_question
from product.chat import services as chat_services
from product.jobs import services
from product.jobs.models import Job
from product.llm.models import BudgetReservation, LLMCall

pytestmark = pytest.mark.usefixtures("devmodel_llm")


def _ask(acme: Workspace, alice: User, text: str) -> Job:
    return submit_question(workspace=acme, user=alice, text=text, task="summarise").job


def assert_every_reservation_ended_once(jobs: list[Job]) -> None:
    for job in Job.objects.filter(pk__in=[j.pk for j in jobs]).select_related("reservation"):
        reservation = job.reservation
        assert reservation is not None, job.kind
        charged = LLMCall.objects.filter(job=job, status=LLMCall.Status.SUCCEEDED)
        if charged.exists():
            assert reservation.status == BudgetReservation.Status.SETTLED, (job.kind, job.status)
            total = sum((call.cost_usd or Decimal(0) for call in charged), Decimal(0))
            assert reservation.actual_usd == total, "settled once, with what the ledger says"
        else:
            assert reservation.status == BudgetReservation.Status.RELEASED, (job.kind, job.status)


@pytest.mark.django_db
def test_every_outcome_settles_or_releases_its_reservation_once(
    alice: User, acme: Workspace, settings: Any
) -> None:
    settings.LLM_USER_REQUESTS_PER_MINUTE = 0
    succeeded = _ask(acme, alice, "[[reply: Fine.]]")
    failed = _ask(acme, alice, "[[error: 400]]")
    later = _ask(acme, alice, f"[[fail_times: 1 status=429 retry_after=300 key={uuid.uuid4()}]]")
    cancelled = _ask(acme, alice, "[[reply: Never.]]")
    given_up = _ask(acme, alice, "[[reply: Lost.]]")
    conversation = chat_services.start_conversation(workspace=acme, user=alice)
    reply = chat_services.send_message(
        conversation=conversation, author=alice, text="[[reply: Hello.]]"
    ).reply
    stopped_conversation = chat_services.start_conversation(workspace=acme, user=alice)
    stopped = chat_services.send_message(
        conversation=stopped_conversation, author=alice, text="[[reply: Stopped.]]"
    ).reply

    services.run_job(succeeded.pk)
    services.run_job(failed.pk)
    with pytest.raises(services.RetryLater):
        services.run_job(later.pk)
    Job.objects.filter(pk=later.pk).update(retry_at=timezone.now() - timedelta(seconds=1))
    services.run_job(later.pk)  # the countdown's message comes back: this run is charged
    services.cancel_job(job=cancelled, user=alice)
    # A worker died with it three times: the reaper gives up.
    Job.objects.filter(pk=given_up.pk).update(
        status=Job.Status.RUNNING,
        attempts=3,
        heartbeat_at=timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER_S + 5),
    )
    services.reap_stale_jobs()
    reply.refresh_from_db()
    assert reply.job_id is not None
    services.run_job(reply.job_id)
    chat_services.stop_reply(message=stopped, user=alice)  # stopped before its job ran
    stopped.refresh_from_db()

    statuses = dict(
        Job.objects.filter(
            pk__in=[succeeded.pk, failed.pk, later.pk, cancelled.pk, given_up.pk]
        ).values_list("pk", "status")
    )
    assert statuses == {
        succeeded.pk: Job.Status.SUCCEEDED,
        failed.pk: Job.Status.FAILED,
        later.pk: Job.Status.SUCCEEDED,
        cancelled.pk: Job.Status.CANCELLED,
        given_up.pk: Job.Status.FAILED,
    }
    everything = list(Job.objects.all())
    assert {job.kind for job in everything} >= {"ask.once", "chat.reply"}
    assert (
        not Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        .exclude(kind="chat.title")
        .exists()
    )
    # The title job the reply queued runs too, so the run covers every kind of job there is.
    for title in Job.objects.filter(kind="chat.title", status=Job.Status.QUEUED):
        services.run_job(title.pk)
    assert_every_reservation_ended_once(list(Job.objects.all()))
    assert BudgetReservation.objects.filter(status=BudgetReservation.Status.RESERVED).count() == 0
