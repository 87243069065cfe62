"""Worker configuration the durability story depends on."""

from __future__ import annotations

from django.conf import settings

from worker.celery import app


def test_the_timeouts_are_ordered_provider_task_visibility_reaper() -> None:
    provider = settings.LLM_TIMEOUT_S
    # A job may make 1 + LLM_MAX_RETRIES attempts (plus a fallback) within one task.
    task = settings.JOB_TIME_LIMIT_S
    reaper = settings.JOB_STALE_AFTER_S
    assert provider * (settings.LLM_MAX_RETRIES + 1) < task < reaper
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")
    if visibility is not None:  # only Redis redelivers unacked messages after a timeout
        assert task < visibility < reaper
    assert reaper > settings.JOB_HEARTBEAT_EVERY_S * 3, "several missed beats before a job is stale"


def test_the_worker_acks_late_and_requeues_work_of_a_lost_worker() -> None:
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_routes["jobs.run_job"] == {"queue": "llm"}


def test_the_reaper_runs_on_a_beat_schedule() -> None:
    entry = app.conf.beat_schedule["reap-stale-jobs"]
    assert entry["task"] == "jobs.reap_stale_jobs"
    assert entry["schedule"] == settings.REAPER_EVERY_S
    assert "jobs.reap_stale_jobs" in app.tasks
