"""Usage charts over a busy month: 1,000,000 ledger rows in one workspace (Postgres).

One workspace, 20 members, 4 models, 5 features; 1,000,000 `LLMCall` rows spread over the 30
days before now (busier in working hours), written by one INSERT ... SELECT over generate_series
(latency and TTFT log-normal, 3 % failed, 1 % unpriced), then ANALYZE, as a month of traffic
would leave the table. The rollup then runs as the beat would (rollups.roll_up_usage, an hour at
a time); the last hour or two stay on the ledger, read live.

Then the usage page's queries for "Last 30 days" (the month's charts), 50 times each round:
- `report`: usage_report by model (spend per day × model, requests/errors, latency and TTFT
  percentiles from the merged histograms, the breakdown table) plus the month's burn-down;
- `member_report`: the same for one member (what a member's page reads);
- `rows`: the CSV/API rows, day × model × feature × member with their histograms.
And the same report without rollups (the watermark cleared: every number from the ledger's
1,000,000 rows, the best the indexes can do), 10 times.

Prints one JSON line last:
{"bench":"usage_aggregates","ledger_rows":1000000,"rollup_hour_rows":...,"p50_ms":...,"p95_ms":...,
 "cpu_ms_per_query":...,"db_cpu_ms_per_query":...,"raw_p50_ms":...,"raw_p95_ms":...,...}
(goal: p95 <= 200 ms for the month's charts). cpu_ms_per_query is this process's CPU (Python:
the ORM, merging rows, percentiles); db_cpu_ms_per_query the Postgres backend's, when it runs on
this machine.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, print_result  # noqa: E402

ROWS = int(os.environ.get("BENCH_USAGE_ROWS", "1000000"))
MEMBERS = 20
MODELS = ["keel-dev-small", "keel-dev-large", "gpt-4o-mini", "text-embedding-3-small"]
FEATURES = ["chat", "ask", "knowledge", "evals", "api"]
DAYS = 30
RUNS = 50
RAW_RUNS = int(os.environ.get("BENCH_USAGE_RAW_RUNS", "10"))
WARMUP = 3

# Rows over [now - 30 days, now): a day has a working-hours bulge (two thirds of the calls fall
# between 08:00 and 20:00 UTC). Columns the ORM would fill with defaults are spelled out.
INSERT = """
INSERT INTO llm_llmcall (
    id, workspace_id, user_id, feature, model, prompt_name, prompt_version,
    input_tokens, cached_tokens, output_tokens, tokens_estimated, latency_ms, ttft_ms,
    cost_usd, cost_unknown, status, error, provider_request_id, attempt, created_at,
    trace_id, span_id, parent_span_id
)
SELECT
    gen_random_uuid(), %(workspace)s, (%(users)s::uuid[])[1 + floor(random() * %(members)s)::int],
    (%(features)s::text[])[1 + floor(random() * %(n_features)s)::int],
    m.model, '', '',
    t.input_tokens, (t.input_tokens * random() * 0.2)::int, t.output_tokens, false,
    least(greatest(exp(random_normal(7.0, 0.6)), 20), 120000)::int,
    CASE WHEN m.model LIKE 'text-embedding%%' THEN NULL
         ELSE least(greatest(exp(random_normal(5.6, 0.5)), 5), 60000)::int END,
    CASE WHEN u.unpriced THEN NULL
         ELSE round((t.input_tokens * 0.15 + t.output_tokens * 0.6) / 1000000.0, 6) END,
    u.unpriced,
    CASE WHEN random() < 0.03 THEN 'failed' ELSE 'succeeded' END,
    '', '', 1,
    %(start)s::timestamptz + (
        CASE WHEN random() < 0.66
             THEN floor(random() * %(days)s) * interval '1 day' + interval '8 hours'
                  + random() * interval '12 hours'
             ELSE random() * %(days)s * interval '1 day' END
    ),
    '', '', ''
FROM generate_series(1, %(rows)s) AS g(n)
CROSS JOIN LATERAL (
    SELECT (%(models)s::text[])[1 + floor(random() * %(n_models)s + g.n * 0)::int] AS model
) AS m
CROSS JOIN LATERAL (
    SELECT (50 + random() * 3000 + g.n * 0)::int AS input_tokens,
           (random() * 600 + g.n * 0)::int AS output_tokens
) AS t
CROSS JOIN LATERAL (SELECT random() < 0.01 + g.n * 0 AS unpriced) AS u
"""


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def backend_cpu_seconds() -> float | None:
    """CPU the Postgres backend of this connection has used, when it runs on this machine."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(started: float) -> dict[str, Any]:
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from product.accounts.models import Membership, User
    from product.accounts.services import create_personal_workspace

    owner = User.objects.create_user("owner@example.com", "bench-password-123", name="Owner")
    workspace = create_personal_workspace(user=owner)
    members = [owner]
    for n in range(1, MEMBERS):
        user = User.objects.create_user(f"member{n}@example.com", "bench-password-123")
        Membership.objects.create(workspace=workspace, user=user, role=Membership.Role.MEMBER)
        members.append(user)
    now = timezone.now()
    start = now - timedelta(days=DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT,
            {
                "workspace": workspace.pk,
                "users": [str(u.pk) for u in members],
                "members": len(members),
                "features": FEATURES,
                "n_features": len(FEATURES),
                "models": MODELS,
                "n_models": len(MODELS),
                "start": start,
                "days": DAYS,
                "rows": ROWS,
            },
        )
        # Rows past `now` (the working-hours bulge of the last day) would be future calls.
        cursor.execute("DELETE FROM llm_llmcall WHERE created_at >= %s", [now])
        cursor.execute("ANALYZE llm_llmcall")
        cursor.execute("SELECT count(*) FROM llm_llmcall")
        rows = cursor.fetchone()[0]
    log(f"{rows} ledger rows", started)
    return {"workspace": workspace, "owner": owner, "member": members[1], "rows": rows, "now": now}


def roll_up(data: dict[str, Any], started: float) -> dict[str, Any]:
    from django.db import connection

    from product.observability import rollups
    from product.observability.models import UsageDay, UsageHour, UsageWatermark

    cpu_before = time.process_time()
    began = time.perf_counter()
    hours = rollups.roll_up_all()
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu_before
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE observability_usagehour")
        cursor.execute("ANALYZE observability_usageday")
    rollup_rows = UsageHour.objects.count()
    day_rows = UsageDay.objects.count()
    mark = UsageWatermark.objects.get().rolled_until
    log(
        f"rolled up {hours} hours into {rollup_rows} hour rows, {day_rows} day rows, in {seconds:.1f}s",
        started,
    )
    # One more run with nothing new: what the beat pays every few minutes.
    began = time.perf_counter()
    rollups.roll_up_usage()
    idle_ms = (time.perf_counter() - began) * 1000
    return {
        "hours": hours,
        "rollup_rows": rollup_rows,
        "rollup_day_rows": day_rows,
        "rollup_s": round(seconds, 1),
        "rollup_cpu_s": round(cpu, 1),
        "rollup_ms_per_hour": round(seconds * 1000 / max(hours, 1), 1),
        "idle_run_ms": round(idle_ms, 1),
        "live_minutes": round((data["now"] - mark).total_seconds() / 60),
    }


def timed(run: Callable[[], Any], times: int) -> dict[str, float]:
    for _ in range(WARMUP):
        run()
    latencies: list[float] = []
    db_before = backend_cpu_seconds()
    cpu_before = time.process_time()
    for _ in range(times):
        began = time.perf_counter()
        run()
        latencies.append((time.perf_counter() - began) * 1000)
    cpu_ms = (time.process_time() - cpu_before) * 1000 / times
    db_after = backend_cpu_seconds()
    result = {
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "cpu_ms": round(cpu_ms, 1),
    }
    if db_before is not None and db_after is not None:
        result["db_cpu_ms"] = round((db_after - db_before) * 1000 / times, 1)
    return result


def measure(data: dict[str, Any], started: float) -> dict[str, Any]:
    from product.observability import usage
    from product.observability.models import UsageWatermark

    workspace = data["workspace"]
    period = usage.named_period("30d")

    def report() -> None:
        found = usage.usage_report(workspace, period, group_by="model")
        usage.burn_down(workspace)
        assert found.totals.requests > 0

    def member_report() -> None:
        usage.usage_report(workspace, period, group_by="feature", user=data["member"])

    def rows() -> None:
        usage.usage_rows(workspace, period)

    results = {"report": timed(report, RUNS)}
    log(f"report {results['report']}", started)
    results["member_report"] = timed(member_report, RUNS)
    log(f"member report {results['member_report']}", started)
    results["rows"] = timed(rows, RUNS)
    log(f"rows {results['rows']}", started)
    rolled_totals = usage.usage_report(workspace, period, group_by="model").totals

    # The same report with nothing rolled up: every number from the ledger's rows.
    mark = UsageWatermark.objects.get()
    kept = mark.rolled_until
    mark.rolled_until = None
    mark.save(update_fields=["rolled_until"])
    try:
        raw_totals = usage.usage_report(workspace, period, group_by="model").totals
        results["raw_report"] = timed(report, RAW_RUNS)
        log(f"raw report {results['raw_report']}", started)
    finally:
        mark.rolled_until = kept
        mark.save(update_fields=["rolled_until"])
    results["same_numbers"] = rolled_totals == raw_totals
    return results


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        reason = "needs Postgres (DATABASE_URL=postgres://...; make pgvector runs one)"
        print(f"usage_aggregates: {reason}; not run.", file=sys.stderr)
        print_result({"bench": "usage_aggregates", "skipped": reason})
        return 0
    started = time.monotonic()
    redis_db = int(os.environ.get("BENCH_REDIS_DB", "11"))
    with BenchStack(redis_db=redis_db) as stack:
        stack.setup_django()
        data = load(started)
        rollup = roll_up(data, started)
        results = measure(data, started)
    report, raw = results["report"], results["raw_report"]
    result: dict[str, Any] = {
        "bench": "usage_aggregates",
        "ledger_rows": data["rows"],
        "days": DAYS,
        "rollup_hour_rows": rollup["rollup_rows"],
        "p50_ms": report["p50_ms"],
        "p95_ms": report["p95_ms"],
        "cpu_ms_per_query": report["cpu_ms"],
        "db_cpu_ms_per_query": report.get("db_cpu_ms"),
        "member_p95_ms": results["member_report"]["p95_ms"],
        "rows_p95_ms": results["rows"]["p95_ms"],
        "rows_cpu_ms": results["rows"]["cpu_ms"],
        "raw_p50_ms": raw["p50_ms"],
        "raw_p95_ms": raw["p95_ms"],
        "raw_cpu_ms_per_query": raw["cpu_ms"],
        "raw_db_cpu_ms_per_query": raw.get("db_cpu_ms"),
        "speedup_p95": round(raw["p95_ms"] / report["p95_ms"], 1),
        "same_numbers": results["same_numbers"],
        "goal_p95_ms": 200,
        **{k: v for k, v in rollup.items() if k != "rollup_rows"},
        "run_s": round(time.monotonic() - started, 1),
    }
    print_result(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
