"""Prometheus metrics of the processes: model calls and the reaper, observed where they happen.

The metric objects live here, in the lowest layer, so the gateway (llm) and the reaper (jobs)
can observe into them without importing the app that serves them: /metrics is
product/observability/metrics.py, which adds what is counted at scrape time (jobs by status,
queue depth) and answers only the operator's bearer token (`token_matches`).

Each process counts for itself. When PROMETHEUS_MULTIPROC_DIR is set, every process on the
machine writes its values to a file there and a scrape sums them all (prometheus_client's
multiprocess mode). The mode is chosen when prometheus_client is first imported, from the
environment: product/settings.py exports the setting before anything imports it, and this
module refuses to load when the two disagree, rather than silently count one process.

Buckets and labels follow the OpenTelemetry GenAI metrics (`gen_ai.client.operation.duration`,
`gen_ai.client.token.usage` with its input/output type), so the two views of a call agree.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ParamSpec, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client import values as prometheus_values
from prometheus_client.exposition import ThreadingWSGIServer, make_wsgi_app

logger = logging.getLogger(__name__)

if settings.PROMETHEUS_MULTIPROC_DIR and not getattr(
    prometheus_values.ValueClass, "_multiprocess", False
):
    raise ImproperlyConfigured(
        "PROMETHEUS_MULTIPROC_DIR is set but prometheus_client was imported before the settings "
        "exported it, so this process would count only itself. Import product.settings first "
        "(DJANGO_SETTINGS_MODULE), or set PROMETHEUS_MULTIPROC_DIR in the process environment."
    )


def multiprocess_dir() -> str:
    """The shared directory when multiprocess mode is on, else ""."""
    return str(settings.PROMETHEUS_MULTIPROC_DIR or "")


if multiprocess_dir():
    # A process that died without saying so (SIGKILL, OOM) leaves its live gauge behind; in a
    # container pids repeat, and a new process with that pid would start from the dead one's
    # in-flight count. Start from zero.
    multiprocess.mark_process_dead(os.getpid(), multiprocess_dir())  # type: ignore[no-untyped-call]


# OpenTelemetry's advice for gen_ai.client.operation.duration (seconds) and token usage.
DURATION_BUCKETS = (
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)
TTFT_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0)
TOKEN_BUCKETS = tuple(float(4**power) for power in range(14))  # 1, 4, 16, ... 67108864

LLM_CALLS_IN_FLIGHT = Gauge(
    "keel_llm_calls_in_flight",
    "Model provider attempts in progress (summed over live processes in multiprocess mode).",
    multiprocess_mode="livesum",
)
LLM_CALL_DURATION = Histogram(
    "keel_llm_call_duration_seconds",
    "Time of one model attempt, from the request to the last byte (one per ledger row).",
    ["model", "operation", "status"],
    buckets=DURATION_BUCKETS,
)
LLM_CALL_TOKENS = Histogram(
    "keel_llm_call_tokens",
    "Tokens of one model attempt, input or output (type), as the ledger row records them.",
    ["model", "operation", "status", "type"],
    buckets=TOKEN_BUCKETS,
)
LLM_TIME_TO_FIRST_TOKEN = Histogram(
    "keel_llm_time_to_first_token_seconds",
    "Time from the request to the first streamed text of a model attempt (streams only).",
    ["model", "status"],
    buckets=TTFT_BUCKETS,
)
REAPER_ACTIONS = Counter(
    "keel_reaper_actions",
    "Jobs the reaper acted on: requeued (its worker died), failed (out of attempts), cancelled "
    "(cancel requested, worker died), resent (queued but lost by the broker).",
    ["action"],
)
REAPER_ACTIONS_NAMES = ("requeued", "failed", "cancelled", "resent")
for _action in REAPER_ACTIONS_NAMES:
    REAPER_ACTIONS.labels(action=_action)  # every action shows from the first scrape, at 0


P = ParamSpec("P")
T = TypeVar("T")


def in_flight(attempt: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run one provider attempt, counted in LLM_CALLS_IN_FLIGHT while it runs."""
    with LLM_CALLS_IN_FLIGHT.track_inprogress():
        return attempt(*args, **kwargs)


def observe_model_call(
    *,
    model: str,
    operation: str,
    status: str,
    latency_ms: int | None,
    input_tokens: int,
    output_tokens: int,
    ttft_ms: int | None,
) -> None:
    """One model attempt, as its ledger row has it. `operation`: "chat" or "embeddings"."""
    if latency_ms is not None:
        LLM_CALL_DURATION.labels(model, operation, status).observe(latency_ms / 1000)
    LLM_CALL_TOKENS.labels(model, operation, status, "input").observe(input_tokens)
    if operation != "embeddings":  # an embedding has no output tokens, only its vector
        LLM_CALL_TOKENS.labels(model, operation, status, "output").observe(output_tokens)
    if ttft_ms is not None:
        LLM_TIME_TO_FIRST_TOKEN.labels(model, status).observe(ttft_ms / 1000)


def count_reaper_actions(actions: Mapping[str, int]) -> None:
    for action, count in actions.items():
        if count:
            REAPER_ACTIONS.labels(action=action).inc(count)


def process_registry() -> CollectorRegistry:
    """What this process's scrape shows of the processes: all of the machine's in multiprocess
    mode (read from the files), else this process's own metrics (the default registry)."""
    path = multiprocess_dir()
    if not path:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    return registry


def forget_process(pid: int | None = None) -> None:
    """A process is ending: drop its live gauges (in flight) from the sums. Its counters and
    histograms stay, so totals never go backwards."""
    path = multiprocess_dir()
    if path:
        dead = pid if pid is not None else os.getpid()
        multiprocess.mark_process_dead(dead, path)  # type: ignore[no-untyped-call]


def token_matches(authorization: str) -> bool:
    """`Authorization: Bearer <METRICS_TOKEN>`, compared in constant time."""
    expected = str(settings.METRICS_TOKEN or "")
    scheme, _, presented = authorization.partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), expected.encode())


# --- a worker's own endpoint (a scrape per pod) ---------------------------------------------

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def guarded_app(registry: CollectorRegistry) -> WsgiApp:
    """The registry's metrics at /metrics, for the bearer token only (as the web's /metrics)."""
    metrics_app = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        plain = [("Content-Type", "text/plain; charset=utf-8")]
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", plain)
            return [b"Not found: metrics are at /metrics.\n"]
        if not token_matches(environ.get("HTTP_AUTHORIZATION", "")):
            start_response("401 Unauthorized", [*plain, ("WWW-Authenticate", "Bearer")])
            return [b"Send Authorization: Bearer <METRICS_TOKEN>.\n"]
        return metrics_app(environ, start_response)  # type: ignore[no-any-return]

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        return None  # a scrape every 15 s is not news


def serve_in_thread(port: int, *, host: str = "0.0.0.0") -> WSGIServer | None:  # noqa: S104
    """Serve this process's metrics on `port` from a daemon thread (a worker has no web server
    of its own). Off without a METRICS_TOKEN: an open port would show them to anyone."""
    if not settings.METRICS_TOKEN:
        logger.info("metrics: METRICS_TOKEN is empty, so port %d serves nothing", port)
        return None
    try:
        server = make_server(
            host, port, guarded_app(process_registry()), ThreadingWSGIServer, _QuietHandler
        )
    except OSError:
        # Another worker on this machine has the port (or it is taken): it is not worth a
        # worker that does not start.
        logger.exception("could not serve metrics on port %d", port)
        return None
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    logger.info("serving metrics on port %d", port)
    return server
