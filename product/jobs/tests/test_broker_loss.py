"""Accepting and running work while Redis (the broker and the cache) is away."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import redis
from celery.exceptions import Reject
from django.db import OperationalError as DatabaseOperationalError
from django.test import Client
from kombu.exceptions import OperationalError

from product.accounts.models import User, Workspace
from product.apikeys.tests.factories import bearer, make_key
from product.core import ratelimit
from product.jobs import services, tasks
from product.jobs.models import Job
from product.jobs.registry import JobContext

MakeJob = Callable[..., Job]


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.mark.django_db
def test_it_accepts_a_question_with_202_while_the_broker_is_down(
    client: Client,
    alice: User,
    acme: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr(tasks.run_job, "apply_async", _refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/questions",
            data=json.dumps({"text": "[[reply: Later.]]", "task": "summarise"}),
            content_type="application/json",
            **bearer(make_key(user=alice, workspace=acme)),
        )
    assert response.status_code == 202, response.content
    job = Job.objects.get()
    assert job.status == Job.Status.QUEUED
    assert job.enqueued_at is None, "marked for the reaper's next round"

    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.run_job, "apply_async", lambda args, **kw: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reap_stale_jobs() == 1
    assert sent == [(str(job.pk),)]
    job.refresh_from_db()
    assert job.enqueued_at is not None


@pytest.mark.django_db
def test_a_countdown_retry_the_broker_refuses_is_left_for_the_reaper(
    make_job: MakeJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = make_job(kind="test.fail", input={"how": "provider_later"})

    def refuse_retry(**kwargs: Any) -> Exception:
        # What Task.retry raises when its apply_async fails (celery/app/task.py).
        raise Reject(OperationalError("Connection refused."), requeue=False)

    monkeypatch.setattr(tasks.run_job, "retry", refuse_retry)
    tasks.run_job.run(str(job.pk))  # does not raise: the row is the truth
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert job.retry_at is not None
    assert job.enqueued_at is None


@pytest.mark.django_db
def test_the_cancel_check_falls_back_to_the_row_while_the_cache_is_away(
    make_job: MakeJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise redis.exceptions.ConnectionError("Connection closed by server.")

    monkeypatch.setattr("product.jobs.registry.cache.get", down)
    ctx = JobContext(job=make_job(status=Job.Status.RUNNING, attempts=1))
    ctx._cancel_checked_at = 0.0
    assert ctx.is_cancelled() is False  # no exception: the job carries on
    ctx.mark_cancelled()  # what the heartbeat thread does when it reads the row's flag
    assert ctx.is_cancelled() is True


def test_the_api_rate_limit_fails_open_while_redis_is_away(
    rf: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    def down(bucket: str) -> int:
        raise redis.exceptions.ConnectionError("Error 111 connecting. Connection refused.")

    monkeypatch.setattr(ratelimit, "_count_hit", down)
    settings.API_RATE_LIMIT_PER_MINUTE = 5
    state = ratelimit.check_rate_limit(rf.get("/api/v1/jobs"), "key:1")
    assert (state.limit, state.remaining) == (5, 5)


@pytest.mark.django_db
def test_it_answers_503_with_retry_after_when_the_database_is_away(
    client: Client, alice: User, acme: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_away(**kwargs: Any) -> Job:
        raise DatabaseOperationalError("connection to server at 127.0.0.1 failed")

    headers = bearer(make_key(user=alice, workspace=acme))
    monkeypatch.setattr(services, "submit_job", database_away)
    response = client.post(
        "/api/v1/questions",
        data=json.dumps({"text": "[[reply: Later.]]", "task": "summarise"}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "service_unavailable"
