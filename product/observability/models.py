"""Traces: the steps of every AI request that are not model calls, and one index row per trace.

A trace is what one request or job did, keyed by a 32-hex trace id (OpenTelemetry's, when export
is on). Its model attempts are the ledger's `LLMCall` rows (with `trace_id`, `span_id`,
`parent_span_id`); everything else it did (the request that accepted it, the wait in the queue,
the job, retrieval, tool calls, grading, ingestion stages) is a `Span`. `Trace` sums them up for
lists and filters; product/observability/recording.py writes both when the request or job ends.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models


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
