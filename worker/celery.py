"""The Celery app: the only place Celery is configured.

Model calls are I/O bound, so the `llm` queue runs on a threads pool with high concurrency (one
process holds 200+ calls in flight). `knowledge` (document ingestion: parsing is CPU work) has a
worker of its own, so a big PDF never delays a chat reply. `default` carries everything else. The database is the truth
about jobs; the broker is only a transport (see product/jobs/ and docs/architecture.md).
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, concurrency, signals
from celery.concurrency.prefork import TaskPool as PreforkPool
from django.conf import settings
from kombu import Queue

from worker import kombu_filesystem, kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "product.settings")
# Celery's Django fixup runs the system checks at every worker start, and they import the URLconf:
# every view, the API and its schemas, allauth's MFA with fido2 and cryptography, ~24 MB of RSS a
# worker never uses. The checks run where they catch something: `manage.py migrate` (every
# deploy and `make setup`), `manage.py check` and the test suite.
os.environ.setdefault("CELERY_SKIP_CHECKS", "1")

# The worker must outlive a Redis restart (see worker/kombu_redis.py for the upstream issue),
# and the embedded broker's concurrent sends (worker/kombu_filesystem.py).
kombu_redis.install()
kombu_filesystem.install()

# How often the beat prunes what retention settings let go (docs/observability.md).
RETENTION_EVERY_S = 3600.0
# How often the beat rolls up the ledger's complete hours (they complete once an hour).
USAGE_ROLLUP_EVERY_S = 300.0

app = Celery("keel")
app.config_from_object("django.conf:settings", namespace="CELERY")

app.conf.update(
    task_queues=(Queue("default"), Queue("llm"), Queue("knowledge")),
    task_default_queue="default",
    # A worker acknowledges a message only after the task ran, and reserves only what it runs;
    # a message whose worker died is requeued, not lost.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_store_errors_even_if_ignored=False,
    broker_connection_retry_on_startup=True,
    # Keep reconnecting for as long as Redis is away (the default gives up after 100 tries and
    # the worker exits); the database holds every job meanwhile.
    broker_connection_max_retries=None,
    worker_hijack_root_logger=False,
    worker_send_task_events=False,
    timezone="UTC",
    # Model calls go to `llm` (threads pool, -c 200); housekeeping to `default`.
    task_routes={
        "jobs.run_job": {"queue": "llm"},
        "jobs.reap_stale_jobs": {"queue": "default"},
        "observability.prune": {"queue": "default"},
        "observability.roll_up_usage": {"queue": "default"},
    },
    # A warm shutdown (deploy) gives in-flight calls a moment; whatever is left is requeued by
    # acks_late and, failing that, by the reaper.
    worker_soft_shutdown_timeout=10.0,
    beat_schedule={
        # The database reaper, not the broker's visibility timeout, brings lost jobs back fast.
        "reap-stale-jobs": {
            "task": "jobs.reap_stale_jobs",
            "schedule": settings.REAPER_EVERY_S,
            "options": {"expires": settings.REAPER_EVERY_S},
        },
        # Retention (docs/observability.md): idempotency records, stream entries, model bodies.
        # Hourly is fine-grained enough for windows of hours and days, and keeps each pass small.
        "prune-retention": {
            "task": "observability.prune",
            "schedule": RETENTION_EVERY_S,
            "options": {"expires": RETENTION_EVERY_S},
        },
        # Usage charts read hourly rollups (product/observability/rollups.py); a run that finds
        # no new complete hour does two small queries.
        "roll-up-usage": {
            "task": "observability.roll_up_usage",
            "schedule": USAGE_ROLLUP_EVERY_S,
            "options": {"expires": USAGE_ROLLUP_EVERY_S},
        },
    },
)

app.autodiscover_tasks(
    ["product.llm", "product.jobs", "product.chat", "product.accounts", "product.observability"]
)


# Warm-up before the first task, in the process that runs tasks: the worker itself for the threads
# (and solo, gevent) pools, each child for prefork (warming the parent would only be copied into
# children that fork before it finishes, and would share an SDK client across a fork).
@signals.worker_init.connect
def _warm_up_in_the_worker(sender: Any, **kwargs: Any) -> None:
    if not issubclass(concurrency.get_implementation(sender.pool_cls), PreforkPool):
        _warm_up()


@signals.worker_process_init.connect
def _warm_up_in_a_child(**kwargs: Any) -> None:
    _warm_up()


# Metrics (product/core/metrics.py): a worker may serve its own /metrics (a scrape per pod), and
# a process that ends leaves the in-flight sum of a shared multiprocess directory.
@signals.worker_init.connect
def _serve_metrics(**kwargs: Any) -> None:
    if settings.WORKER_METRICS_PORT:
        from product.core import metrics

        metrics.serve_in_thread(settings.WORKER_METRICS_PORT)


@signals.worker_process_init.connect
def _start_counting_in_a_child(**kwargs: Any) -> None:
    # A forked child's pid may be a dead process's: its in-flight count starts from zero.
    from product.core import metrics

    metrics.forget_process()


@signals.worker_process_shutdown.connect
@signals.worker_shutdown.connect
def _stop_counting(**kwargs: Any) -> None:
    from product.core import metrics

    metrics.forget_process()


def _warm_up() -> None:
    from product.llm.warmup import warm_up  # needs the app registry, ready only after import

    warm_up()
