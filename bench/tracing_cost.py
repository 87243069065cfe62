"""What tracing costs a model call, with and without the OpenTelemetry exporter.

`gateway.complete` against the dev model server (its own process, so its CPU is not counted),
from this process, CALLS times per mode. The modes take turns in blocks of BLOCK calls (the
order rotated every round), so that a busy machine, whose load drifts over seconds, slows the
two sides of every comparison alike. CPU is `time.process_time()` (every thread of this
process: the gateway, the SDK, the ledger INSERT, SQLite when it is the database, the OTel batch
exporter's thread); wall is `time.perf_counter()`, reported beside it.

Modes (every traced mode's workspace keeps the bodies, the costlier privacy setting):
- `baseline`: the recorder switched off (no span per attempt, no trace around the call) and a
  workspace that keeps no bodies: the gateway as it was before traces.
- `in_open_trace`: calls made inside a trace that is already open (a job or an eval run that
  makes many calls). Each open trace holds OPEN_TRACE_CALLS calls; it is opened and written
  between blocks, off the clock, in its own `contextvars.Context`.
- `in_open_trace_otel`: the same with an OpenTelemetry SDK `TracerProvider` and a
  `BatchSpanProcessor` exporting to a no-op exporter (the SDK's work up to the wire, no
  network), flushed at the end of every block, on the clock, so the exporter thread's CPU counts.
- `own_trace`: each call its own trace (a request that called a model once): the trace's root
  span and its write (spans INSERT, Trace row upsert) for every call.
- `own_trace_otel`: `own_trace` with the OTel SDK as above.

The goal, "tracing cost per model call (CPU µs, with and without the OTel exporter) <= 1 ms",
is read as the marginal CPU of one more model call in an open trace:

    per_call_cpu_us.without_otel = median over rounds of (in_open_trace - baseline)
    per_call_cpu_us.with_otel    = median over rounds of (in_open_trace_otel - baseline)

each difference taken between blocks of the same round. That is all a call adds: an attempt is
its ledger row (the ids, the bodies), not a span row, so the trace's write does not grow with
its calls. `goal_met` is true when both are <= 1000.

The once-per-trace cost (a request's or job's root span and the trace's write, paid once
whatever its number of calls) is reported beside it and is not part of the goal:

    per_trace_cpu_us.without_otel = median over rounds of (own_trace - in_open_trace)
    per_trace_cpu_us.with_otel    = median over rounds of (own_trace_otel - in_open_trace_otel)

`*_wall_us` are the same in wall time; `*_iqr_us` how much the per-round differences vary.
Direct measurements, less noisy than differences of end-to-end runs: `trace_write_cpu_us` (the
sink's CPU per request trace, `time.thread_time` around it),
`recorder_cpu_us_per_attempt` / `recorder_otel_cpu_us_per_attempt` (the in-memory recorder's
work for one attempt alone), and `orm_query_cpu_us` (one small ORM query here, a yardstick).

Prints one JSON line last:
{"bench":"tracing_cost","calls_per_mode":N,"per_call_cpu_us":{"without_otel":...,
 "with_otel":...},"per_trace_cpu_us":{...},...,"goal_us":1000.0,"goal_met":...}

About a minute by default (BENCH_TRACING_CALLS per mode, BENCH_TRACING_BLOCK calls a block).
"""

from __future__ import annotations

import contextlib
import contextvars
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

# Calls per mode (five modes, 15-20 ms of wall each against the dev model server: ~25 s in all).
CALLS = int(os.environ.get("BENCH_TRACING_CALLS", "250"))
BLOCK = int(os.environ.get("BENCH_TRACING_BLOCK", "5"))
OPEN_TRACE_CALLS = 50
WARMUP = 20
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
    with BenchStack(redis_db=int(os.environ.get("BENCH_REDIS_DB", "7"))) as stack:
        stack.start_devmodel(ttft_ms=0, token_delay_ms=0)
        stack.setup_django()
        print_result(measure())


def paired_median(minuend: list[float], subtrahend: list[float]) -> float:
    """The median of block-by-block differences: both blocks ran in the same round."""
    return round(statistics.median(a - b for a, b in zip(minuend, subtrahend, strict=True)), 1)


def paired_iqr(minuend: list[float], subtrahend: list[float]) -> float:
    """How much the block-by-block differences vary (their interquartile range)."""
    quartiles = statistics.quantiles([a - b for a, b in zip(minuend, subtrahend, strict=True)], n=4)
    return round(quartiles[2] - quartiles[0], 1)


class OpenTrace:
    """A trace kept open across blocks in its own `contextvars.Context` (the other modes run
    outside it): a job that makes OPEN_TRACE_CALLS calls. Opened and written off the clock."""

    def __init__(self, tracing: Any, workspace_id: Any) -> None:
        self.tracing, self.workspace_id = tracing, workspace_id
        self.context: contextvars.Context | None = None
        self.scope: contextlib.AbstractContextManager[Any] | None = None
        self.calls = 0

    def run(self, work: Callable[[], None]) -> None:
        assert self.context is not None, "roll() opens the trace before a block"
        self.context.run(work)
        self.calls += 1

    def roll(self, *, close: bool = False) -> None:
        """Write the trace once it holds OPEN_TRACE_CALLS calls (or `close`), open the next."""
        if self.context is not None and self.scope is not None:
            if not (close or self.calls >= OPEN_TRACE_CALLS):
                return
            self.context.run(self.scope.__exit__, None, None, None)
            self.context, self.scope, self.calls = None, None, 0
        if close:
            return
        self.context = contextvars.Context()
        self.scope = self.tracing.begin(
            kind=self.tracing.JOB,
            name="bench.many",
            feature="bench",
            workspace_id=self.workspace_id,
        )
        self.context.run(self.scope.__enter__)


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

    started_at = time.perf_counter()
    user = User.objects.create_user("bench@example.com", "bench-password-123")

    def workspace(name: str, *, bodies: bool) -> Any:
        # One per mode: the quota check sums the workspace's month, which grows with its ledger,
        # so every mode must grow its own by as much.
        made = create_workspace(owner=user, name=name)
        made.store_model_bodies = bodies
        made.save(update_fields=["store_model_bodies"])
        return made

    names = ["baseline", "in_open_trace", "in_open_trace_otel", "own_trace", "own_trace_otel"]
    spaces = {name: workspace(name, bodies=name != "baseline") for name in names}

    def call(name: str) -> None:
        gateway.complete(
            workspace=spaces[name],
            user=user,
            feature="bench",
            messages=MESSAGES,
            prompt_name="bench",
        )

    def in_own_trace(name: str) -> None:
        with tracing.begin(kind=tracing.REQUEST, name="POST /bench", feature="bench"):
            call(name)

    otel_provider = TracerProvider()
    otel_provider.add_span_processor(BatchSpanProcessor(_NoOpExporter()))  # type: ignore[arg-type]

    @contextlib.contextmanager
    def otel_on() -> Iterator[None]:
        tracing.use_tracer_provider(otel_provider)
        try:
            yield
        finally:
            otel_provider.force_flush()  # the export thread's work counts, inside the clock
            tracing.use_tracer_provider(None)

    open_traces = {
        name: OpenTrace(tracing, spaces[name].pk)
        for name in ("in_open_trace", "in_open_trace_otel")
    }

    def block(name: str, calls: int) -> None:
        around: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext
        if name == "baseline":
            around = recorder_off
        elif name.endswith("_otel"):
            around = otel_on
        with around():
            for _ in range(calls):
                if name in open_traces:
                    open_traces[name].run(lambda: call(name))
                elif name == "baseline":
                    call(name)
                else:
                    in_own_trace(name)

    # The trace's write, timed where it runs (this thread's CPU, not the exporter's): a
    # one-call trace's (the open traces are written off the clock; their size does not grow
    # with their calls, since an attempt is its ledger row, not a span row).
    sink_cpu_us: list[float] = []

    def timed_sink(scope: Any, spans: list[Any]) -> None:
        cpu = time.thread_time()
        services.write_spans(scope, spans)
        if scope.kind == tracing.REQUEST:
            sink_cpu_us.append((time.thread_time() - cpu) * 1e6)

    def roll_open_traces(*, close: bool = False) -> None:
        # Off the clock. The OTel mode's trace opens under the SDK, so its root is the SDK's.
        open_traces["in_open_trace"].roll(close=close)
        with otel_on():
            open_traces["in_open_trace_otel"].roll(close=close)

    tracing.set_sink(timed_sink)
    roll_open_traces()
    for name in names:
        block(name, WARMUP)
    roll_open_traces(close=True)
    roll_open_traces()
    sink_cpu_us.clear()

    cpu: dict[str, list[float]] = {name: [] for name in names}
    wall: dict[str, list[float]] = {name: [] for name in names}
    rounds = max(CALLS // BLOCK, 4)
    for round_index in range(rounds):
        # Rotate the order: no mode always runs first (or right after a GC).
        shift = round_index % len(names)
        gc.collect()
        roll_open_traces()
        for name in names[shift:] + names[:shift]:
            wall_started, cpu_started = time.perf_counter(), time.process_time()
            block(name, BLOCK)
            cpu[name].append((time.process_time() - cpu_started) / BLOCK * 1e6)
            wall[name].append((time.perf_counter() - wall_started) / BLOCK * 1e6)
    roll_open_traces(close=True)
    tracing.set_sink(services.write_spans)

    def per_call(samples: dict[str, list[float]]) -> dict[str, float]:
        return {
            "without_otel": paired_median(samples["in_open_trace"], samples["baseline"]),
            "with_otel": paired_median(samples["in_open_trace_otel"], samples["baseline"]),
        }

    def per_trace(samples: dict[str, list[float]]) -> dict[str, float]:
        return {
            "without_otel": paired_median(samples["own_trace"], samples["in_open_trace"]),
            "with_otel": paired_median(samples["own_trace_otel"], samples["in_open_trace_otel"]),
        }

    recorder_us = recorder_cpu_per_attempt(tracing, spaces["in_open_trace"].pk)
    tracing.use_tracer_provider(otel_provider)
    recorder_otel_us = recorder_cpu_per_attempt(
        tracing, spaces["in_open_trace_otel"].pk, flush=otel_provider.force_flush
    )
    tracing.use_tracer_provider(None)
    otel_provider.shutdown()
    traced_calls = LLMCall.objects.exclude(trace_id="").count()
    # A yardstick for this machine: the CPU of one small ORM query (the trace write is a few).
    started = time.process_time()
    for _ in range(200):
        Trace.objects.filter(trace_id="0" * 32).first()
    orm_query_us = (time.process_time() - started) / 200 * 1e6

    per_call_cpu = per_call(cpu)
    return {
        "bench": "tracing_cost",
        "calls_per_mode": rounds * BLOCK,
        "block": BLOCK,
        "calls_per_open_trace": OPEN_TRACE_CALLS,
        "database": "postgres" if "postgres" in os.environ.get("DATABASE_URL", "") else "sqlite",
        "per_call_cpu_us": per_call_cpu,
        "per_call_wall_us": per_call(wall),
        "per_trace_cpu_us": per_trace(cpu),
        "per_trace_wall_us": per_trace(wall),
        "per_call_cpu_iqr_us": {
            "without_otel": paired_iqr(cpu["in_open_trace"], cpu["baseline"]),
            "with_otel": paired_iqr(cpu["in_open_trace_otel"], cpu["baseline"]),
        },
        "cpu_us_per_call": {name: round(statistics.median(v), 1) for name, v in cpu.items()},
        "wall_us_per_call": {name: round(statistics.median(v), 1) for name, v in wall.items()},
        "trace_write_cpu_us": round(statistics.median(sink_cpu_us), 1),
        "recorder_cpu_us_per_attempt": recorder_us,
        "recorder_otel_cpu_us_per_attempt": recorder_otel_us,
        "orm_query_cpu_us": round(orm_query_us, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "traces_written": Trace.objects.count(),
        "traced_ledger_rows": traced_calls,
        "measure_s": round(time.perf_counter() - started_at, 1),
        "goal_us": GOAL_US,
        "goal_met": all(value <= GOAL_US for value in per_call_cpu.values()),
    }


if __name__ == "__main__":
    main()
