"""A question asked once: the text and the task, and the durable job that answers it.

The feature owns its input (this row); the job owns the run (status, progress, attempts, the
answer in `job.result`). One question, one job: a retry re-runs the same job row.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from product.ask.prompts import Task
from product.ask.schemas import FieldRow, field_rows
from product.core.models import TimeStampedModel


class Question(TimeStampedModel):
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="questions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="questions"
    )
    task = models.CharField(max_length=32, choices=Task.choices, default=Task.SUMMARISE)
    instruction = models.TextField(blank=True)
    text = models.TextField()
    job = models.OneToOneField("jobs.Job", on_delete=models.PROTECT, related_name="question")

    class Meta:
        ordering = ["-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["workspace", "-created_at"], name="question_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_task_display()} {self.id}"

    @property
    def title(self) -> str:
        """What the question's page calls it: the custom instruction, else the task's name."""
        return self.instruction.strip() or self.get_task_display()

    @property
    def fields(self) -> dict[str, Any] | None:
        """An extract task's typed answer (schemas.py), once the job has succeeded; else None."""
        result: Any = self.job.result or {}
        found = result.get("fields") if isinstance(result, dict) else None
        return found if isinstance(found, dict) else None

    @property
    def field_rows(self) -> list[FieldRow]:
        """The extract as the page's table rows; empty for a prose answer."""
        fields = self.fields
        return [] if fields is None else field_rows(self.task, fields)

    @property
    def answer(self) -> str:
        result: Any = self.job.result or {}
        return str(result.get("text", "")) if isinstance(result, dict) else ""
