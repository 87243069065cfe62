from __future__ import annotations

from typing import Any

from django import template

from product.jobs import prompts

register = template.Library()


@register.filter
def task_label(job_input: Any) -> str:
    """The human name of an Ask once task ("Extract key points"), from a job's input."""
    task = job_input.get("task") if isinstance(job_input, dict) else None
    return prompts.TASKS.get(str(task), "Task")
