"""Celery interfaces to the jobs core: ids in, services do the work, the task owns retry policy."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.exceptions import Reject
from django.conf import settings

from product.jobs import services


@shared_task(
    bind=True,
    name="jobs.run_job",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    time_limit=settings.JOB_TIME_LIMIT_S,
    ignore_result=True,
)
def run_job(self: Any, job_id: str) -> None:
    try:
        services.run_job(job_id)
    except services.RetryLater as later:
        # The provider said "come back in N s", longer than a worker should sleep: free the thread
        # and let the broker bring the message back. The row says queued until retry_at.
        try:
            retry = self.retry(countdown=later.countdown, max_retries=None, throw=False)
        except Reject:
            # Celery could not send the retry (the broker is away) and would drop the message:
            # the row says queued until retry_at; the reaper sends it then.
            services.mark_not_enqueued(job_id)
            return
        raise retry from later


@shared_task(name="jobs.reap_stale_jobs", ignore_result=True)
def reap_stale_jobs() -> int:
    return services.reap_stale_jobs()
