"""/metrics: Prometheus's view of Keel, for the operator's bearer token only.

Two kinds of numbers. What processes observe as it happens (model calls, the reaper) lives in
product/core/metrics.py, summed over the machine's processes in multiprocess mode. What the
database and the broker know (jobs by status, queue depth) is counted here when Prometheus
scrapes, by `StateCollector`: one GROUP BY over the jobs table and one pipelined LLEN per scrape,
so the numbers are never older than the scrape and no process has to keep them up to date.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import cache

import redis
from celery import current_app
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

from product.core import metrics
from product.jobs.models import Job

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_S = 2.0
QUEUE_HELP_REDIS = "Messages waiting in each Celery queue (Redis: LLEN of the queue's list)."
QUEUE_HELP_EMBEDDED = (
    "Jobs waiting in each Celery queue (embedded broker: queued rows of the Job table, countdown "
    "retries included, since its folders cannot be counted cheaply)."
)


def _queue_names() -> list[str]:
    """The queues worker/celery.py declares (the app product.jobs loads at start)."""
    return [queue.name for queue in current_app.conf.task_queues or ()]


def _broker_is_redis() -> bool:
    return str(current_app.conf.broker_url or "").startswith(("redis://", "rediss://"))


@cache
def _redis(url: str) -> redis.Redis:
    # Short timeouts: a scrape with Redis away answers without queue depth, and soon.
    return redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
    )


def _redis_queue_lengths(names: list[str]) -> dict[str, int]:
    # Keel sends no task priorities, so each queue is the one list kombu names after it.
    pipe = _redis(str(current_app.conf.broker_url)).pipeline(transaction=False)
    for name in names:
        pipe.llen(name)
    return {name: int(length) for name, length in zip(names, pipe.execute(), strict=True)}


class StateCollector:
    """Jobs by status and queue depth, computed when Prometheus asks."""

    def describe(self) -> Iterable[Metric]:
        # Names only (for the registry's duplicate check), without querying anything.
        return [
            GaugeMetricFamily("keel_jobs", "", labels=["kind", "status"]),
            GaugeMetricFamily("keel_queue_depth", "", labels=["queue"]),
            GaugeMetricFamily("keel_scrape_source_up", "", labels=["source"]),
        ]

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "keel_scrape_source_up",
            "1 if this scrape could read the source (database, broker), else 0: its metrics are "
            "missing from this scrape.",
            labels=["source"],
        )
        counts = self._job_counts()
        up.add_metric(["database"], 1.0 if counts is not None else 0.0)
        if counts is not None:
            yield self._jobs(counts)
        depth = self._queue_depth(counts)
        if _broker_is_redis():
            up.add_metric(["broker"], 1.0 if depth is not None else 0.0)
        if depth is not None:
            yield depth
        yield up

    def _job_counts(self) -> dict[tuple[str, str, str], int] | None:
        try:
            rows = (
                Job.objects.order_by()
                .values_list("queue", "kind", "status")
                .annotate(rows=Count("id"))
            )
            return {(queue, kind, status): rows for queue, kind, status, rows in rows}
        except DatabaseError:
            logger.warning("metrics: could not count jobs", exc_info=True)
            return None

    def _jobs(self, counts: dict[tuple[str, str, str], int]) -> Metric:
        family = GaugeMetricFamily(
            "keel_jobs",
            "Jobs in the Job table by kind and status (queued, running, succeeded, failed, "
            "cancelled), counted at scrape time.",
            labels=["kind", "status"],
        )
        by_kind: dict[str, dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(Job.Status.values, 0)
        )
        for (_queue, kind, status), rows in counts.items():
            by_kind[kind][status] = by_kind[kind].get(status, 0) + rows
        for kind in sorted(by_kind):
            for status, rows in by_kind[kind].items():
                family.add_metric([kind, status], float(rows))
        return family

    def _queue_depth(self, counts: dict[tuple[str, str, str], int] | None) -> Metric | None:
        names = _queue_names()
        if _broker_is_redis():
            try:
                lengths = _redis_queue_lengths(names)
            except redis.RedisError:
                logger.warning("metrics: could not read the queues from Redis", exc_info=True)
                return None
            family = GaugeMetricFamily("keel_queue_depth", QUEUE_HELP_REDIS, labels=["queue"])
        else:
            if counts is None:
                return None
            lengths = dict.fromkeys(names, 0)
            for (queue, _kind, status), rows in counts.items():
                if status == Job.Status.QUEUED:
                    lengths[queue] = lengths.get(queue, 0) + rows
            family = GaugeMetricFamily("keel_queue_depth", QUEUE_HELP_EMBEDDED, labels=["queue"])
        for name, length in sorted(lengths.items()):
            family.add_metric([name], float(length))
        return family


class _Processes:
    """The processes' own metrics (core.metrics), under the scrape's registry."""

    def collect(self) -> Iterable[Metric]:
        return metrics.process_registry().collect()


def scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(_Processes())
    registry.register(StateCollector())
    return registry


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@require_GET
def metrics_endpoint(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        return _plain("Metrics are disabled: set METRICS_TOKEN to turn /metrics on.\n", 404)
    if not metrics.token_matches(request.headers.get("Authorization", "")):
        response = _plain("Send Authorization: Bearer <METRICS_TOKEN>.\n", 401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = HttpResponse(encode(scrape_registry()), content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
