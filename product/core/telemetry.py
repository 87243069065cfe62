"""OpenTelemetry export, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.

When it is set, each process (web, every worker) exports over OTLP/HTTP:
- Keel's own spans (product/core/tracing.py): the request, the queue wait, the job, retrieval,
  grading, ingestion stages, and one span per model attempt with the GenAI semantic conventions'
  attributes (`gen_ai.operation.name`, `gen_ai.request.model`, `gen_ai.usage.input_tokens`, ...);
- Django's, Celery's and psycopg's spans, from their instrumentations.
Celery's instrumentation carries the trace context in the message headers; the job row carries
the trace id too (Job.trace_id), so a job re-sent by the reaper stays in its request's trace.

The SDK's own OpenAI instrumentation is not installed on purpose: the gateway's spans come from
the ledger, and wrapping the SDK too would count every call twice.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings

from product.core import tracing

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_configured = False


def traces_endpoint(endpoint: str) -> str:
    """The OTLP/HTTP traces URL for a base endpoint (as OTEL_EXPORTER_OTLP_ENDPOINT means it)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


def configure() -> bool:
    """Set up export once per process (called from CoreConfig.ready(), so before Django builds
    its middleware chain). Returns whether export is on."""
    global _configured
    endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT
    if not endpoint:
        return False
    with _lock:
        if _configured:
            return True
        # Imported only when export is on: the SDK and the exporter are not paid for otherwise.
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(
            resource=Resource.create({"service.name": settings.OTEL_SERVICE_NAME})
        )
        # Batched, in a thread of its own: a request never waits for the collector. (The SDK
        # restarts the thread after a fork, so prefork workers export too.)
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_endpoint(endpoint)))
        )
        trace.set_tracer_provider(provider)
        tracing.use_tracer_provider(provider)
        DjangoInstrumentor().instrument(tracer_provider=provider)
        CeleryInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
        PsycopgInstrumentor().instrument(tracer_provider=provider, enable_commenter=False)
        _configured = True
        logger.info("OpenTelemetry: exporting traces to %s", traces_endpoint(endpoint))
        return True
