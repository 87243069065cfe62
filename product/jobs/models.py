"""Durable jobs: the row is the truth, the broker only carries its id.

A `Job` exists (status queued) before anything is enqueued. A worker claims it with a conditional
update (queued -> running), touches `heartbeat_at` while it runs and writes the result once
(running -> succeeded, for the attempt it claimed). The reaper (services.reap_stale_jobs) brings back
what a dead worker or a flushed broker lost. See docs/jobs.md.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from product.core.models import TimeStampedModel


def default_max_attempts() -> int:
    return int(settings.JOB_MAX_ATTEMPTS)


class Job(TimeStampedModel):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED: ClassVar[frozenset[str]] = frozenset(
        {Status.SUCCEEDED, Status.FAILED, Status.CANCELLED}
    )

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    kind = models.CharField(max_length=64, db_index=True)
    queue = models.CharField(max_length=32, default="llm")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=default_max_attempts)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    input = models.JSONField(default=dict)
    result = models.JSONField(null=True, blank=True)
    # Shown to the user as is: say what happened and what to do, never a stack trace.
    error_message = models.TextField(blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # The budget held for this job at acceptance; the gateway settles it with the actual cost.
    reservation = models.ForeignKey(
        "llm.BudgetReservation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    # When the row was last handed to the broker: the reaper re-enqueues queued rows nobody took.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # A countdown retry (a provider's long Retry-After): no worker may claim the job before this.
    retry_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The trace the job continues (product/core/tracing.py): the submitting request's, so a reply's
    # waterfall starts at the POST; `parent_span_id` is that request's span.
    trace_id = models.CharField(max_length=32, blank=True, db_index=True)
    parent_span_id = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["workspace", "-created_at"], name="job_workspace_recent"),
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def can_cancel(self) -> bool:
        return (
            self.status in (self.Status.QUEUED, self.Status.RUNNING) and not self.cancel_requested
        )

    @property
    def can_retry(self) -> bool:
        return self.status in (self.Status.FAILED, self.Status.CANCELLED)
