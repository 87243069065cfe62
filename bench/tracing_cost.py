"""What tracing costs a model call: CPU µs per `gateway.complete`, with and without it.

`gateway.complete` against the dev model server (its own process, so its CPU is not counted),
from this process, N times per mode, the modes interleaved over ROUNDS rounds so that a busy
machine slows them alike. CPU is `time.process_time()` (every thread of this process: the
gateway, the SDK, the ledger INSERT, SQLite when it is the database, the OTel batch exporter's
thread), per call, the median of the rounds.

Modes:
- `baseline`: the recorder switched off (no span per attempt, no trace around the call) and the
  workspace keeps no bodies: the gateway as it was before traces.
- `tracing`: each call is its own trace (a request that called a model, the costliest case: its
  root span and its Trace row are written for one call), the attempt's span with its GenAI
  attributes, the ids on the ledger row, and the bodies kept (redacted) on the row.
- `tracing_no_bodies`: the same for a workspace that keeps no bodies (the privacy setting).
- `tracing_in_open_trace`: the calls of a round inside one open trace (a job that makes many
  calls, an eval run): what a call adds to a trace (its span, ids and bodies on the row), the
  trace itself written once.
- `tracing_otel`: `tracing` with an OpenTelemetry SDK TracerProvider and a BatchSpanProcessor
  exporting to a no-op exporter (`tracing.use_tracer_provider`), flushed before the clock stops.

The difference `tracing` - `tracing_in_open_trace` is the trace's own write (its spans'
INSERT, the Trace row's upsert and its sums over the ledger), paid once per request or job. Two
direct measurements, less noisy than differences of end-to-end runs on a busy machine:
`trace_write_cpu_us`, the sink's CPU per trace (`time.thread_time` around it), and
`recorder_cpu_us_per_attempt`, the in-memory recorder's work for one attempt alone;
`orm_query_cpu_us`, the CPU of one small ORM query here, is the yardstick to read them by.

Prints one JSON line last (goal: tracing and tracing_otel <= 1000 µs over the baseline):
{"bench":"tracing_cost","calls":N,"cpu_us_per_call":{"baseline":...,"tracing":...,
 "tracing_no_bodies":...,"tracing_in_open_trace":...,"tracing_otel":...},
 "overhead_us_per_call":{...},"orm_query_cpu_us":...,...}
"""

from __future__ import annotations

import contextlib
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, print_result  # noqa: E402

CALLS = int(os.environ.get("BENCH_TRACING_CALLS", "1500"))
ROUNDS = int(os.environ.get("BENCH_TRACING_ROUNDS", "10"))
WARMUP = 30
GOAL_US = 1000.0
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant for the Acme support team."},
    {"role": "user", "content": "[[reply: The refund was sent on Monday; it takes 3-5 days.]]"},
]


@contextlib.contextmanager
def _no_span(*args: Any, **kwargs: Any) -> Iterator[None]:
    yield None


@contextlib.contextmanager
def recorder_off() -> Iterator[None]:
    """The gateway's hooks into the recorder, as if it did not exist."""
    from product.core import tracing

    span, current_span = tracing.span, tracing.current_span
    tracing.span = _no_span  # type: ignore[assignment]
    tracing.current_span = lambda: None
    try:
        yield
    finally:
        tracing.span, tracing.current_span = span, current_span


class _NoOpExporter:
    """An exporter that drops what it gets (the SDK's work up to the wire is what is measured)."""

    def export(self, spans: Sequence[Any]) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def recorder_cpu_per_attempt(
    tracing: Any,
    workspace_id: Any,
    *,
    flush: Callable[[], object] = lambda: None,
    repeat: int = 20000,
) -> float:
    """The recorder's in-memory work for one attempt, alone: its span (OTel's no-op API under
    it, or the SDK's with `flush` waiting for its exporter thread), the GenAI attributes set on
    it, the ids read for the ledger row, keep(). Process CPU: the exporter's thread counts."""
    with tracing.begin(kind=tracing.JOB, name="bench.recorder", feature="bench") as scope:
        scope.kept = False  # nothing to write at the end
        started = time.process_time()
        for attempt in range(repeat):
            with tracing.span(
                tracing.GENERATION,
                "chat keel-dev-small",
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": "keel-dev-small",
                    "gen_ai.request.max_tokens": 1024,
                },
                persist=False,
            ):
                step = tracing.current_span()
                step.update(
                    {
                        "gen_ai.response.model": "keel-dev-small",
                        "gen_ai.usage.input_tokens": 40,
                        "gen_ai.usage.output_tokens": 12,
                        "keel.attempt": attempt,
                    }
                )
                _ids = (step.trace_id, step.span_id, step.parent_span_id)
                tracing.keep(workspace_id=workspace_id)
        flush()
        elapsed = time.process_time() - started
    return round(elapsed / repeat * 1e6, 1)


def main() -> None:
    with BenchStack(redis_db=7) as stack:
        stack.start_devmodel(ttft_ms=0, token_delay_ms=0)
        stack.setup_django()
        print_result(measure())


def measure() -> dict[str, Any]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from product.accounts.models import User
    from product.accounts.services import create_workspace
    from product.core import tracing
    from product.llm import gateway
    from product.llm.models import LLMCall
    from product.observability import services
    from product.observability.models import Trace

    user = User.objects.create_user("bench@example.com", "bench-password-123")

    def workspace(name: str, *, bodies: bool) -> Any:
        # One per mode: the quota check sums the workspace's month, which grows with its ledger,
        # so every mode must grow its own by as much.
        made = create_workspace(owner=user, name=name)
        made.store_model_bodies = bodies
        made.save(update_fields=["store_model_bodies"])
        return made

    spaces = {
        "baseline": workspace("Baseline", bodies=False),
        "tracing": workspace("Tracing", bodies=True),
        "tracing_no_bodies": workspace("Tracing, no bodies", bodies=False),
        "tracing_in_open_trace": workspace("Tracing in an open trace", bodies=True),
        "tracing_otel": workspace("Tracing and OTel", bodies=True),
    }

    def call(workspace: Any) -> None:
        gateway.complete(
            workspace=workspace,
            user=user,
            feature="bench",
            messages=MESSAGES,
            prompt_name="bench",
        )

    def traced(workspace: Any) -> Callable[[], None]:
        def run() -> None:
            with tracing.begin(kind=tracing.REQUEST, name="POST /bench", feature="bench"):
                call(workspace)

        return run

    otel_provider = TracerProvider()
    otel_provider.add_span_processor(BatchSpanProcessor(_NoOpExporter()))  # type: ignore[arg-type]

    @contextlib.contextmanager
    def one_open_trace() -> Iterator[None]:
        # A job that makes every call of the round: what each call adds to an open trace (its
        # span, the ids and the bodies on its row), the trace written once, at the end.
        with tracing.begin(
            kind=tracing.JOB,
            name="bench.many",
            feature="bench",
            workspace_id=spaces["tracing_in_open_trace"].pk,
        ):
            yield

    @contextlib.contextmanager
    def otel_on() -> Iterator[None]:
        tracing.use_tracer_provider(otel_provider)
        try:
            yield
        finally:
            otel_provider.force_flush()  # the export thread's work counts, inside the clock
            tracing.use_tracer_provider(None)

    modes: dict[
        str, tuple[Callable[[], None], Callable[[], contextlib.AbstractContextManager[None]]]
    ] = {
        "baseline": (lambda: call(spaces["baseline"]), recorder_off),
        "tracing": (traced(spaces["tracing"]), contextlib.nullcontext),
        "tracing_no_bodies": (traced(spaces["tracing_no_bodies"]), contextlib.nullcontext),
        "tracing_in_open_trace": (
            lambda: call(spaces["tracing_in_open_trace"]),
            one_open_trace,
        ),
        "tracing_otel": (traced(spaces["tracing_otel"]), otel_on),
    }
    # The trace's write, timed where it runs (this thread's CPU, not the exporter's): the
    # part of `tracing` that is not per call but per request or job.
    sink_cpu_us: list[float] = []

    def timed_sink(scope: Any, spans: list[Any]) -> None:
        started = time.thread_time()
        services.write_spans(scope, spans)
        sink_cpu_us.append((time.thread_time() - started) * 1e6)

    tracing.set_sink(timed_sink)
    per_round = max(CALLS // ROUNDS, 1)
    for run, around in modes.values():
        with around():
            for _ in range(WARMUP):
                run()
    samples: dict[str, list[float]] = {name: [] for name in modes}
    walls: dict[str, float] = dict.fromkeys(modes, 0.0)
    for round_index in range(ROUNDS):
        # Rotate the order: no mode always runs first (or right after a GC).
        order = list(modes)[round_index % len(modes) :] + list(modes)[: round_index % len(modes)]
        for name in order:
            run, around = modes[name]
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            with around():
                for _ in range(per_round):
                    run()
            cpu = time.process_time() - cpu
            walls[name] += time.perf_counter() - wall
            samples[name].append(cpu / per_round * 1e6)
    tracing.set_sink(services.write_spans)

    cpu_us = {name: round(statistics.median(values), 1) for name, values in samples.items()}
    recorder_us = recorder_cpu_per_attempt(tracing, spaces["tracing"].pk)
    tracing.use_tracer_provider(otel_provider)
    recorder_otel_us = recorder_cpu_per_attempt(
        tracing, spaces["tracing"].pk, flush=otel_provider.force_flush
    )
    tracing.use_tracer_provider(None)
    overhead = {
        name: round(cpu_us[name] - cpu_us["baseline"], 1) for name in modes if name != "baseline"
    }
    otel_provider.shutdown()
    traced_calls = LLMCall.objects.exclude(trace_id="").count()
    # A yardstick for this machine: the CPU of one small ORM query (the trace write is a few).
    started = time.process_time()
    for _ in range(200):
        Trace.objects.filter(trace_id="0" * 32).first()
    orm_query_us = (time.process_time() - started) / 200 * 1e6
    return {
        "bench": "tracing_cost",
        "calls": per_round * ROUNDS,
        "rounds": ROUNDS,
        "database": "postgres" if "postgres" in os.environ.get("DATABASE_URL", "") else "sqlite",
        "cpu_us_per_call": cpu_us,
        "overhead_us_per_call": overhead,
        "spread_us": {
            name: round(max(values) - min(values), 1) for name, values in samples.items()
        },
        "wall_ms_per_call": {
            name: round(walls[name] / (per_round * ROUNDS) * 1000, 2) for name in modes
        },
        "trace_write_cpu_us": round(statistics.median(sink_cpu_us), 1),
        "recorder_cpu_us_per_attempt": recorder_us,
        "recorder_otel_cpu_us_per_attempt": recorder_otel_us,
        "orm_query_cpu_us": round(orm_query_us, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "traces_written": Trace.objects.count(),
        "traced_ledger_rows": traced_calls,
        "goal_us": GOAL_US,
        "goal_met": all(value <= GOAL_US for value in overhead.values()),
    }


if __name__ == "__main__":
    main()
