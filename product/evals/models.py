"""Evaluation: feedback on answers, versioned datasets, and runs (experiments) with their scores.

- `Feedback`: a person's thumbs up/down (and comment) on one answer of a feature, with a snapshot
  of what was asked and answered, so it can become a dataset item even after the answer is gone.
- `Dataset` → `DatasetVersion` → `DatasetItem`: every change makes a new version; a version and its
  items are never edited, so a run reads exactly the items it started with and can be re-run on
  them. An item's `key` stays the same across versions: comparisons pair cases by it.
- `Run`: one dataset version × a target (a feature registered in registry.py) × a configuration ×
  N repeats, executed by one durable job (`evals.run`) with many cases in flight.
- `RunCase` (one item × one repeat) and its `Score`s are written in one transaction together with
  the case's ledger charges: a case is finished once, graded once and charged once, even when a
  worker dies and the run resumes.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from product.core.models import TimeStampedModel


class Feedback(TimeStampedModel):
    class Rating(models.TextChoices):
        UP = "up", "Thumbs up"
        DOWN = "down", "Thumbs down"

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="feedback"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What was rated: a registered target's name ("chat.reply", "ask.once") and the id of the
    # feature's row (a chat Message, an ask Question). Plain values: evals sits below features.
    target = models.CharField(max_length=64)
    subject_id = models.UUIDField()
    rating = models.CharField(max_length=8, choices=Rating.choices)
    comment = models.TextField(blank=True)
    # The snapshot taken when the rating was given (registry.Example.as_json()): the target's input,
    # the output, model, prompt name and version, retrieved sources, and the page to open it on.
    example = models.JSONField(default=dict)
    llm_call = models.ForeignKey(
        "llm.LLMCall", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            # One rating per person per answer: rating again changes it.
            models.UniqueConstraint(
                fields=["user", "target", "subject_id"], name="unique_feedback_per_user"
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["workspace", "-created_at"], name="feedback_recent"),
            models.Index(fields=["target", "subject_id"], name="feedback_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.rating} on {self.target} {self.subject_id}"


class Dataset(TimeStampedModel):
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="datasets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # The registered target whose input the items hold (registry.get_target(...).input_model).
    target = models.CharField(max_length=64)
    # The newest version's number (0: no version yet). Bumped under a row lock.
    current_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_dataset_name")
        ]

    def __str__(self) -> str:
        return self.name


class DatasetVersion(models.Model):
    """An immutable snapshot of a dataset's items. Never updated once created."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # What changed, in words ("Imported 40 items from cases.jsonl", "Edited item 3").
    note = models.CharField(max_length=300, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["dataset", "-number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["dataset", "number"], name="unique_dataset_version")
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id} v{self.number}"


class DatasetItem(models.Model):
    """One case of a dataset version. Copied, never edited, when a new version is made."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="items")
    # Stable across versions: the same case in v1 and v7 has one key (comparisons pair by it).
    key = models.UUIDField(default=uuid.uuid4)
    position = models.PositiveIntegerField()
    # The target's input, valid for its `input_model` (e.g. {"task": "summarise", "text": ...},
    # {"messages": [...]}, {"question": ...}).
    input = models.JSONField()
    reference = models.TextField(blank=True)  # the expected output, when there is one
    expected_sources = models.JSONField(default=list, blank=True)  # document names, for recall@k
    tags = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The ledger call the item was made from (feedback), when it was.
    source_call = models.ForeignKey(
        "llm.LLMCall", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["version", "position"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_item_key_per_version"),
            models.UniqueConstraint(
                fields=["version", "position"], name="unique_item_position_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"item {self.key} of {self.version_id}"


class Run(TimeStampedModel):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200, blank=True)
    dataset_version = models.ForeignKey(
        DatasetVersion, on_delete=models.PROTECT, related_name="runs"
    )
    target = models.CharField(max_length=64)
    # registry.RunConfig.as_json(): model, prompt_version, temperature, retrieval settings, ...
    config = models.JSONField(default=dict)
    # [{"name": "contains", "params": {...}, "threshold": 1.0}, ...] in order.
    graders = models.JSONField(default=list)
    repeats = models.PositiveSmallIntegerField(default=1)
    # Cases in flight at once on the worker (capped by settings.EVAL_MAX_CONCURRENCY).
    concurrency = models.PositiveSmallIntegerField(default=8)
    # The prompt the target sent (name and version), recorded when the run starts, so a
    # comparison says what changed even after the code moved on.
    prompt_name = models.CharField(max_length=128, blank=True)
    prompt_version = models.CharField(max_length=32, blank=True)
    case_count = models.PositiveIntegerField(default=0)  # items × repeats
    job = models.OneToOneField("jobs.Job", on_delete=models.PROTECT, related_name="eval_run")

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [models.Index(fields=["workspace", "-created_at"], name="run_recent")]

    def __str__(self) -> str:
        return self.name or f"run {self.id}"


class RunCase(models.Model):
    """One item × one repeat of a run: what the target answered, what it cost, and its scores."""

    class Status(models.TextChoices):
        DONE = "done", "Done"
        FAILED = "failed", "Failed"  # the target failed (provider error, input too large, ...)

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="cases")
    item = models.ForeignKey(DatasetItem, on_delete=models.PROTECT, related_name="+")
    item_key = models.UUIDField()
    repeat = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices)
    output = models.TextField(blank=True)
    # registry.TargetOutput's structured parts: citations, retrieved sources, anything else.
    details = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    # Target and graders together (a judge's calls included); NULL when a price is unknown.
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)  # the target's, not grading
    call_ids = models.JSONField(default=list, blank=True)  # every ledger row of this case
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["run", "id"]
        constraints: ClassVar = [
            # Finished once: a resumed run, or a second attempt racing the first, cannot add it again.
            models.UniqueConstraint(fields=["run", "item", "repeat"], name="unique_run_case")
        ]

    def __str__(self) -> str:
        return f"case {self.item_key}#{self.repeat} of {self.run_id}"


class Score(models.Model):
    """One grader's verdict on one case. `value` is NULL when the case is unscored."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(RunCase, on_delete=models.CASCADE, related_name="scores")
    grader = models.CharField(max_length=64)  # the run's grader entry's name
    value = models.FloatField(null=True, blank=True)  # 0..1, never NaN
    passed = models.BooleanField(null=True, blank=True)
    # Unscored: the grader could not grade (judge answered garbage, no expected sources, ...).
    # Counted apart from scores, never folded into a mean as 0 or NaN.
    unscored = models.BooleanField(default=False)
    explanation = models.TextField(blank=True)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["case", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["case", "grader"], name="unique_score_per_grader"),
            models.CheckConstraint(
                condition=models.Q(unscored=True, value__isnull=True)
                | models.Q(unscored=False, value__isnull=False, value__gte=0, value__lte=1),
                name="score_value_in_range_or_unscored",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grader}={self.value} on {self.case_id}"

    def as_json(self) -> dict[str, Any]:
        return {
            "grader": self.grader,
            "value": self.value,
            "passed": self.passed,
            "unscored": self.unscored,
            "explanation": self.explanation,
        }
