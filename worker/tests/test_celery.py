"""The worker starts ready: the model gateway warmed, the embedded broker polled often."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from celery import signals
from django.conf import settings
from kombu import Connection

from product.llm import gateway, tokens
from worker import celery as worker_celery
from worker.celery import app


def test_it_polls_the_embedded_broker_ten_times_a_second() -> None:
    # kombu reads polling_interval from the transport options (kombu's default: 1 s per poll).
    with Connection(
        "filesystem://", transport_options=settings.EMBEDDED_BROKER_TRANSPORT_OPTIONS
    ) as connection:
        assert connection.transport.polling_interval <= 0.1  # type: ignore[attr-defined]
    if not settings.REDIS_URL:
        assert app.conf.broker_transport_options is settings.EMBEDDED_BROKER_TRANSPORT_OPTIONS


def test_it_warms_up_on_the_worker_signals() -> None:
    # Called directly below: sending the real signals would also run Celery's Django fixup, which
    # closes the database connections (and with them the in-memory SQLite test database).
    worker = Worker(pool_cls="threads")
    live = signals.worker_init._live_receivers(worker)  # type: ignore[attr-defined]
    assert worker_celery._warm_up_in_the_worker in live
    in_child = signals.worker_process_init._live_receivers(worker)  # type: ignore[attr-defined]
    assert worker_celery._warm_up_in_a_child in in_child


@dataclass(frozen=True)  # a signal's sender must be hashable
class Worker:
    """What the warm-up reads of Celery's WorkController."""

    pool_cls: str


@pytest.fixture
def cold_gateway() -> None:
    tokens._encoding.cache_clear()
    gateway._clients.clear()


@pytest.mark.usefixtures("cold_gateway")
@pytest.mark.parametrize("pool", ["threads", "solo"])
def test_it_warms_the_gateway_in_a_worker_that_runs_tasks_itself(pool: str) -> None:
    worker_celery._warm_up_in_the_worker(sender=Worker(pool_cls=pool))
    assert gateway._clients, "the SDK client is made before the first task"
    # Model calls estimate their tokens: the exact tokenizer (~130 MB) waits for a cut stream.
    assert not tokens.tokenizer_loaded()


@pytest.mark.usefixtures("cold_gateway")
def test_it_warms_each_prefork_child_not_the_parent() -> None:
    worker_celery._warm_up_in_the_worker(sender=Worker(pool_cls="prefork"))
    assert not gateway._clients
    worker_celery._warm_up_in_a_child()
    assert gateway._clients


def test_it_leaves_the_system_checks_to_migrate_and_check() -> None:
    # Celery's Django fixup would run them at every start and import the whole URLconf (~24 MB).
    assert os.environ["CELERY_SKIP_CHECKS"]
