"""Traces: the steps of every AI request that are not model calls, and one index row per trace.

A trace is what one request or job did, keyed by a 32-hex trace id (OpenTelemetry's, when export
is on). Its model attempts are the ledger's `LLMCall` rows (with `trace_id`, `span_id`,
`parent_span_id`); everything else it did (the request that accepted it, the wait in the queue,
the job, retrieval, tool calls, grading, ingestion stages) is a `Span`. `Trace` sums them up for
lists and filters; product/observability/services.py writes both when the request or job ends.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from product.observability.histograms import LATENCY_FIELDS, TTFT_FIELDS


class Span(models.Model):
    class Kind(models.TextChoices):
        REQUEST = "request", "Request"
        JOB = "job", "Job"
        QUEUE = "queue", "Queue wait"
        RETRIEVAL = "retrieval", "Retrieval"
        TOOL = "tool", "Tool call"
        GRADER = "grader", "Grading"
        STAGE = "stage", "Stage"

    class Status(models.TextChoices):
        OK = "ok", "OK"
        ERROR = "error", "Error"
        CANCELLED = "cancelled", "Cancelled"

    trace_id = models.CharField(max_length=32)
    span_id = models.CharField(max_length=16)
    parent_span_id = models.CharField(max_length=16, blank=True)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="spans"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="spans"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OK)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    duration_ms = models.FloatField()
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["started_at"]
        indexes: ClassVar = [models.Index(fields=["trace_id", "started_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


class Trace(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        ERROR = "error", "Error"
        CANCELLED = "cancelled", "Cancelled"

    trace_id = models.CharField(max_length=32, primary_key=True)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="traces"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="traces"
    )
    # The app that made it ("chat", "ask", "knowledge", "evals") and what it was ("chat.reply").
    feature = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    calls = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    cost_unknown = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at"]
        indexes: ClassVar = [
            models.Index(fields=["workspace", "-started_at"], name="trace_workspace_recent"),
            models.Index(fields=["workspace", "user", "-started_at"], name="trace_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.trace_id}"


# --- Usage rollups (product/observability/rollups.py writes them, usage.py reads them) ----------


class UsageTotals(models.Model):
    """The ledger summed up for one workspace × model × feature × member over some time.

    Latency and time to first token keep a count, a sum and a histogram (histograms.py), so the
    mean and the percentiles of any set of rows follow from the SUM of their columns.
    """

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    model = models.CharField(max_length=128)
    feature = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requests = models.PositiveIntegerField(default=0)  # ledger rows: every attempt counts
    failed = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    cached_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    # The priced calls' cost; `cost_unknown` counts the calls whose price was unknown.
    cost_usd = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    cost_unknown = models.PositiveIntegerField(default=0)
    latency_count = models.PositiveIntegerField(default=0)
    latency_sum_ms = models.PositiveBigIntegerField(default=0)
    ttft_count = models.PositiveIntegerField(default=0)
    ttft_sum_ms = models.PositiveBigIntegerField(default=0)
    # The extremes merge too (MIN of mins, MAX of maxes): a percentile is kept between them, so
    # one call's p50 is that call's latency, not the middle of its bucket.
    latency_min_ms = models.PositiveIntegerField(null=True, blank=True)
    latency_max_ms = models.PositiveIntegerField(null=True, blank=True)
    ttft_min_ms = models.PositiveIntegerField(null=True, blank=True)
    ttft_max_ms = models.PositiveIntegerField(null=True, blank=True)
    # latency_b00 ... latency_b33 and ttft_b00 ... ttft_b33 are added below.

    class Meta:
        abstract = True


# One column per histogram bucket: a SUM per column merges histograms on SQLite and Postgres alike
# (an array or JSON column would need database-specific SQL to add up).
for _field_name in LATENCY_FIELDS + TTFT_FIELDS:
    UsageTotals.add_to_class(_field_name, models.PositiveIntegerField(default=0))


class UsageHour(UsageTotals):
    """One UTC hour: what the beat rolls up once the hour ended (and the lag passed)."""

    hour = models.DateTimeField(help_text="The hour's start, UTC.")

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["workspace", "hour"], name="usagehour_workspace_hour"),
            models.Index(fields=["workspace", "user", "hour"], name="usagehour_member_hour"),
            models.Index(fields=["hour"], name="usagehour_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.model} {self.feature}"


class UsageDay(UsageTotals):
    """One UTC day, the sum of its rolled-up `UsageHour`s (today's: the hours so far), written
    again with each hour of the day that is rolled up.

    A month's charts read 30 days of these (a row per model × feature × member a day) instead
    of 720 hours of them: a busy workspace has most combinations in every hour.
    """

    day = models.DateField()

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["workspace", "day"], name="usageday_workspace_day"),
            models.Index(fields=["workspace", "user", "day"], name="usageday_member_day"),
            models.Index(fields=["day"], name="usageday_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.model} {self.feature}"


class UsageWatermark(models.Model):
    """One row: the ledger before `rolled_until` (an hour's start) is in `UsageHour`, and summed
    by day in `UsageDay`; the ledger from it on is read live."""

    rolled_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"rolled until {self.rolled_until}"
