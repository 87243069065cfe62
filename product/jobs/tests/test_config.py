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


def test_the_chaos_fault_point_is_off_and_refused_without_debug() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    assert settings.JOB_FAULT_PAUSE_IN_ENDING_S == 0
    env = {
        **os.environ,
        "DEBUG": "false",
        "KEEL_TESTING": "true",
        "KEEL_FAULT_PAUSE_IN_JOB_ENDING_S": "5",
    }
    refused = subprocess.run(
        [sys.executable, "-c", "import product.settings"],
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0
    assert "KEEL_FAULT_PAUSE_IN_JOB_ENDING_S is a fault point" in refused.stderr
