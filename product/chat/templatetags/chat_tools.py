"""`{% load chat_tools %}`: what the tool step line (templates/chat/_tool_step.html) needs."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()

# What a person reads for each step status (the ToolEvent's `status`).
STATUS_TEXT = {"running": "Running…", "ok": "Done", "error": "Failed"}


@register.filter
def pretty_json(value: Any) -> str:
    """A call's arguments as indented JSON; the raw text the model sent when it was not JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "{}"
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@register.filter
def step_status(status: str) -> str:
    return STATUS_TEXT.get(status, status)
