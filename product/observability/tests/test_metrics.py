"""/metrics: the guard, each family with the numbers of what just happened, multiprocess mode,
and a worker's own endpoint.

Process metrics are process-wide and other tests move them too, so each test reads them before
and after what it does and checks the difference.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from product.accounts.models import User, Workspace
from product.core import metrics
from product.jobs import services as job_services
from product.jobs.models import Job
from product.llm import gateway
from product.llm.models import LLMCall
from product.observability.metrics import _broker_is_redis

TOKEN = "s3cret-scrape-token"  # noqa: S105 (a test's)
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def metrics_on(settings: Any) -> str:
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client: Client, token: str = TOKEN) -> Samples:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    found: Samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def process_value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- the guard ------------------------------------------------------------------------------


def test_it_is_disabled_without_a_token(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 404
    assert "disabled" in response.content.decode()
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "authorization",
    ["", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer "],
)
def test_it_refuses_anything_but_the_token(
    client: Client, metrics_on: str, authorization: str
) -> None:
    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert b"keel_" not in response.content


@pytest.mark.django_db
def test_it_answers_the_token(client: Client, metrics_on: str) -> None:
    samples = scrape(client)
    assert value(samples, "keel_scrape_source_up", source="database") == 1.0
    assert ("keel_llm_calls_in_flight", frozenset()) in samples
    assert value(samples, "keel_reaper_actions_total", action="requeued") >= 0.0


def test_it_refuses_other_methods(client: Client, metrics_on: str) -> None:
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405


# --- what it shows --------------------------------------------------------------------------


@pytest.mark.usefixtures("devmodel_llm")
def test_it_shows_a_model_call_in_each_family(
    client: Client, metrics_on: str, alice: User, acme: Workspace
) -> None:
    model = "keel-dev-small"
    chat = {"model": model, "operation": "chat", "status": "succeeded"}
    before = scrape(client)
    in_flight_during: list[float] = []

    def on_delta(_text: str) -> None:
        in_flight_during.append(process_value("keel_llm_calls_in_flight"))

    result = gateway.stream(
        workspace=acme,
        user=alice,
        feature="test",
        messages=[{"role": "user", "content": "[[reply: Hello there, metrics]]"}],
        prompt_name="test",
        on_delta=on_delta,
    )
    gateway.embed(workspace=acme, user=alice, feature="test", texts=["one", "two"])
    after = scrape(client)

    call = LLMCall.objects.get(pk=result.call_id)
    embedding = LLMCall.objects.exclude(pk=result.call_id).get()
    assert in_flight_during and set(in_flight_during) == {1.0}
    assert value(after, "keel_llm_calls_in_flight") == 0.0

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("keel_llm_call_duration_seconds_count", **chat) == 1
    assert grew("keel_llm_call_duration_seconds_sum", **chat) == pytest.approx(
        (call.latency_ms or 0) / 1000
    )
    assert grew("keel_llm_call_tokens_sum", **chat, type="input") == call.input_tokens
    assert grew("keel_llm_call_tokens_sum", **chat, type="output") == call.output_tokens
    assert call.output_tokens > 0
    ttft = {"model": model, "status": "succeeded"}
    assert grew("keel_llm_time_to_first_token_seconds_count", **ttft) == 1
    assert grew("keel_llm_time_to_first_token_seconds_sum", **ttft) == pytest.approx(
        (call.ttft_ms or 0) / 1000
    )
    embeddings = {"model": embedding.model, "operation": "embeddings", "status": "succeeded"}
    assert grew("keel_llm_call_duration_seconds_count", **embeddings) == 1
    assert grew("keel_llm_call_tokens_sum", **embeddings, type="input") == embedding.input_tokens
    no_output = frozenset({**embeddings, "type": "output"}.items())
    assert ("keel_llm_call_tokens_count", no_output) not in after


@pytest.fixture
def make_job(acme: Workspace, alice: User) -> Callable[..., Job]:
    def make(**fields: Any) -> Job:
        fields.setdefault("kind", "test.echo")
        return Job.objects.create(workspace=acme, created_by=alice, input={}, **fields)

    return make


def test_it_counts_jobs_by_kind_and_status(
    client: Client, metrics_on: str, make_job: Callable[..., Job]
) -> None:
    make_job(status=Job.Status.QUEUED)
    make_job(status=Job.Status.QUEUED, kind="test.other")
    make_job(status=Job.Status.RUNNING)
    make_job(status=Job.Status.SUCCEEDED)
    make_job(status=Job.Status.SUCCEEDED)
    samples = scrape(client)
    echo = {
        status: value(samples, "keel_jobs", kind="test.echo", status=status)
        for status in Job.Status.values
    }
    assert echo == {"queued": 1, "running": 1, "succeeded": 2, "failed": 0, "cancelled": 0}
    assert value(samples, "keel_jobs", kind="test.other", status="queued") == 1


def test_it_shows_each_queues_depth(
    client: Client, metrics_on: str, make_job: Callable[..., Job]
) -> None:
    if _broker_is_redis():
        # The broker's own count: LLEN of the list kombu keeps per queue.
        broker = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
        broker.delete("knowledge")
        broker.rpush("knowledge", "a message", "another")
        try:
            samples = scrape(client)
        finally:
            broker.delete("knowledge")
        assert value(samples, "keel_queue_depth", queue="knowledge") == 2
        assert value(samples, "keel_scrape_source_up", source="broker") == 1
    else:
        # The embedded broker's folders are not counted: its queued jobs are.
        make_job(status=Job.Status.QUEUED, queue="knowledge")
        make_job(status=Job.Status.QUEUED, queue="knowledge")
        make_job(status=Job.Status.RUNNING, queue="knowledge")
        make_job(status=Job.Status.QUEUED, queue="llm")
        samples = scrape(client)
        assert value(samples, "keel_queue_depth", queue="knowledge") == 2
        assert value(samples, "keel_queue_depth", queue="llm") == 1
    assert value(samples, "keel_queue_depth", queue="default") == 0
    assert ("keel_queue_depth", frozenset({("queue", "default")})) in samples


def test_it_counts_what_the_reaper_did(
    client: Client, metrics_on: str, make_job: Callable[..., Job]
) -> None:
    stale = timezone.now() - timedelta(seconds=django_settings.JOB_STALE_AFTER_S + 60)
    make_job(status=Job.Status.RUNNING, attempts=1, heartbeat_at=stale)
    make_job(status=Job.Status.RUNNING, attempts=1, heartbeat_at=stale)
    make_job(status=Job.Status.RUNNING, attempts=3, max_attempts=3, heartbeat_at=stale)
    make_job(status=Job.Status.RUNNING, attempts=1, heartbeat_at=stale, cancel_requested=True)
    make_job(status=Job.Status.QUEUED, enqueued_at=stale)
    make_job(status=Job.Status.RUNNING, attempts=1, heartbeat_at=timezone.now())  # alive
    before = scrape(client)
    assert job_services.reap_stale_jobs() == 5
    after = scrape(client)
    grew = {
        action: value(after, "keel_reaper_actions_total", action=action)
        - value(before, "keel_reaper_actions_total", action=action)
        for action in metrics.REAPER_ACTIONS_NAMES
    }
    assert grew == {"requeued": 2, "failed": 1, "cancelled": 1, "resent": 1}


# --- multiprocess mode and the worker's endpoint ---------------------------------------------

OTHER_PROCESS = """
from product.core import metrics
metrics.count_reaper_actions({"resent": 7})
metrics.observe_model_call(model="elsewhere", operation="chat", status="failed",
                           latency_ms=250, input_tokens=3, output_tokens=0, ttft_ms=None)
"""


@pytest.mark.django_db
def test_it_sums_the_processes_sharing_a_directory(
    client: Client, metrics_on: str, settings: Any, tmp_path: Path
) -> None:
    """Another process (a worker) writes into the directory; this one's scrape shows it."""
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", OTHER_PROCESS], env=environment, check=True, timeout=60
    )
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)
    samples = scrape(client)
    assert value(samples, "keel_reaper_actions_total", action="resent") == 7
    failed = {"model": "elsewhere", "operation": "chat", "status": "failed"}
    assert value(samples, "keel_llm_call_duration_seconds_count", **failed) == 1
    assert value(samples, "keel_llm_call_duration_seconds_sum", **failed) == 0.25
    # Only the directory's processes: this one writes no files here (it is not in the mode).
    assert value(samples, "keel_llm_calls_in_flight") == 0
    assert value(samples, "keel_scrape_source_up", source="database") == 1


def test_it_forgets_a_stopped_processs_in_flight_calls(settings: Any, tmp_path: Path) -> None:
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    (tmp_path / "counter_4242.db").write_bytes(b"")
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)
    metrics.forget_process(4242)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_4242.db"]


def _call_worker_endpoint(path: str, authorization: str = "") -> tuple[str, bytes]:
    app = metrics.guarded_app(metrics.process_registry())
    status: list[str] = []
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "QUERY_STRING": ""}
    if authorization:
        environ["HTTP_AUTHORIZATION"] = authorization
    body = b"".join(app(environ, lambda s, headers: status.append(s)))
    return status[0], body


def test_a_workers_endpoint_has_the_same_guard(metrics_on: str) -> None:
    assert _call_worker_endpoint("/metrics")[0].startswith("401")
    assert _call_worker_endpoint("/metrics", "Bearer wrong")[0].startswith("401")
    assert _call_worker_endpoint("/other", f"Bearer {TOKEN}")[0].startswith("404")
    status, body = _call_worker_endpoint("/metrics", f"Bearer {TOKEN}")
    assert status.startswith("200")
    assert b"keel_llm_calls_in_flight" in body
    assert b"keel_jobs" not in body  # the database's numbers come from the web's /metrics


def test_a_worker_serves_nothing_without_a_token(settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert metrics.serve_in_thread(0, host="127.0.0.1") is None
