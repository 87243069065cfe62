"""The model gateway's ledger: one `LLMCall` row per attempt, and budget reservations.

The ledger is the source of truth for spend: the monthly budget sums `LLMCall.cost_usd`. A call
whose price is unknown stores NULL and `cost_unknown=True`, never 0, so that a missing price shows
up instead of silently making a model free.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone


class LLMCall(models.Model):
    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        INCOMPLETE = "incomplete", "Incomplete"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="llm_calls"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    feature = models.CharField(max_length=64)
    model = models.CharField(max_length=128)
    prompt_name = models.CharField(max_length=128, blank=True)
    prompt_version = models.CharField(max_length=32, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    cached_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    # True when the provider never reported usage (a cut stream): the counts are our estimate.
    tokens_estimated = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    ttft_ms = models.PositiveIntegerField(null=True, blank=True)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    cost_unknown = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices)
    error = models.TextField(blank=True)
    provider_request_id = models.CharField(max_length=128, blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    # The job the call was made for: the job's usage (API job detail) sums these rows. A string
    # reference, because llm sits below jobs (jobs imports llm, never the other way round).
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="llm_calls"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Where the attempt sits in its trace (product/core/tracing.py): the trace of the request or
    # job it was made for, its own span id (the OpenTelemetry span id when export is on) and the
    # step it was made in. A generation observation is this row; no span row repeats it.
    trace_id = models.CharField(max_length=32, blank=True, db_index=True)
    span_id = models.CharField(max_length=16, blank=True)
    parent_span_id = models.CharField(max_length=16, blank=True)
    # The exact messages sent and the text received (redacted), for the trace view. NULL when the
    # workspace keeps no bodies (Workspace.store_model_bodies) or retention pruned them
    # (LLM_BODY_RETENTION_DAYS); the sizes, like the tokens and the cost, are kept forever.
    request_messages = models.JSONField(null=True, blank=True)
    response_text = models.TextField(null=True, blank=True)
    request_chars = models.PositiveIntegerField(null=True, blank=True)
    response_chars = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["workspace", "created_at"]),
            # Only the rows that still hold a body: what body retention looks for every hour,
            # found without walking the ledger's history (pruned rows leave the index).
            models.Index(
                fields=["created_at"],
                name="llmcall_with_body",
                condition=models.Q(request_messages__isnull=False)
                | models.Q(response_text__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feature} {self.model} {self.status}"


class BudgetReservation(models.Model):
    """An estimate held against the monthly budget from acceptance until the call is charged."""

    class Status(models.TextChoices):
        RESERVED = "reserved", "Reserved"
        SETTLED = "settled", "Settled"
        RELEASED = "released", "Released"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="budget_reservations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    feature = models.CharField(max_length=64)
    estimated_usd = models.DecimalField(max_digits=12, decimal_places=6)
    actual_usd = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RESERVED)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    # The job a reservation the gateway took itself is held for (a string reference: llm sits
    # below jobs). A re-run after a killed worker releases what that attempt held
    # (gateway.release_job_reservations); a job's own reservation is `Job.reservation`.
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes: ClassVar = [models.Index(fields=["workspace", "status"])]

    def __str__(self) -> str:
        return f"{self.feature} {self.estimated_usd} {self.status}"


class WorkspaceBudget(models.Model):
    """A per-workspace override of `LLM_WORKSPACE_MONTHLY_BUDGET_USD` (set it in the admin)."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="llm_budget"
    )
    monthly_budget_usd = models.DecimalField(max_digits=12, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.monthly_budget_usd}"
