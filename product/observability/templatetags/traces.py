"""Template helpers for traces: durations and costs as people read them, and the "Trace" link a
page showing a job puts beside it (`{% trace_link job %}`, or `{% job_trace job as trace %}`),
shown only to people who may open the trace (owners and admins of its workspace, and the person
it belongs to)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import template

from product.accounts.models import User
from product.jobs.models import Job
from product.observability import selectors
from product.observability.models import Trace

register = template.Library()


@register.filter
def duration(value: float | int | None) -> str:
    """850 ms, 2.4 s, 3 min 5 s; "—" when unknown (a trace still running)."""
    if value is None:
        return "—"
    ms = float(value)
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes} min {seconds} s"


@register.filter
def cost(value: Decimal | None, unknown: bool = False) -> str:
    """A cost in dollars, to the micro-dollar the ledger keeps; "unknown price" when a model's
    price is not in the catalog (never a silent $0)."""
    if value is None or unknown:
        return "unknown price"
    if not value:
        return "$0"
    return f"${value:.6f}".rstrip("0").rstrip(".")


@register.simple_tag(takes_context=True)
def job_trace(context: dict[str, Any], job: Job | uuid.UUID | None) -> Trace | None:
    """`{% job_trace job as trace %}`: the job's trace if the viewer may open it, else None."""
    user = getattr(context.get("request"), "user", None)
    return selectors.trace_for_job(user, job) if isinstance(user, User) else None


@register.inclusion_tag("observability/_trace_link.html", takes_context=True)
def trace_link(context: dict[str, Any], job: Job | uuid.UUID | None) -> dict[str, Any]:
    """`{% trace_link job %}`: the "Trace" link, or nothing."""
    return {"trace": job_trace(context, job)}
