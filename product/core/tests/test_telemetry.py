"""OpenTelemetry export: off by default, and with an endpoint set, spans reach it over OTLP/HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.conf import settings

from product.core import telemetry

SCRIPT = """
import django
django.setup()
from opentelemetry import trace
from product.core import tracing
with tracing.begin(kind=tracing.JOB, name="export.check", feature="test"):
    with tracing.span(tracing.RETRIEVAL, "retrieval docs"):
        pass
trace.get_tracer_provider().force_flush()
print("flushed")
"""


@pytest.fixture
def collector() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    received: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()


def test_export_is_off_without_an_endpoint() -> None:
    assert settings.OTEL_EXPORTER_OTLP_ENDPOINT == ""
    assert telemetry.configure() is False


def test_the_traces_url_follows_the_otlp_convention() -> None:
    assert telemetry.traces_endpoint("http://c:4318") == "http://c:4318/v1/traces"
    assert telemetry.traces_endpoint("http://c:4318/v1/traces") == "http://c:4318/v1/traces"


def test_spans_reach_the_collector_over_otlp_http(
    collector: tuple[str, list[tuple[str, bytes]]],
) -> None:
    url, received = collector
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": url, "OTEL_SERVICE_NAME": "keel-test"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "flushed" in done.stdout
    assert received, "the collector got nothing"
    path, body = received[0]
    assert path == "/v1/traces"
    # The protobuf carries the span names and the service name as plain bytes.
    assert b"export.check" in body and b"retrieval docs" in body and b"keel-test" in body
