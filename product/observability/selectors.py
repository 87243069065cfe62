"""Reads for traces. `get_trace_for_user` is the one door to a trace (and, through it, to its
spans and its model attempts).

Who sees what: owners and admins of a workspace see every trace of it; members see only the
traces whose `user` is them; anyone else sees nothing (Http404, so an id's existence never
leaks). With `workspace` (an API key acts in one workspace) the trace must also be in that one.

`trace_detail` assembles a trace's waterfall: its `Span` rows (the request, the queue wait, the
job, retrieval, grading, stages) and its ledger rows (each model attempt, `LLMCall`), as one tree
by `parent_span_id` → `span_id`, each step placed in % of the trace's duration. A model attempt's
row is written when the attempt ends, so it starts at `created_at - latency_ms`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from product.accounts.models import Membership, User, Workspace
from product.jobs.models import Job
from product.llm.models import LLMCall
from product.observability.models import Span, Trace

MANAGERS = (Membership.Role.OWNER, Membership.Role.ADMIN)
TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
# A waterfall shows at most this many steps (an eval run of thousands of cases is one trace):
# the first ones in time, and says how many more there are.
MAX_STEPS = 500
# The narrowest bar drawn, in % of the trace: a 0.2 ms step next to a 20 s one stays visible.
MIN_BAR_PCT = 0.4
MAX_INDENT = 6
# Model attempts: an embedding call is the gateway's `embed` prompt; everything else generates.
EMBEDDING_PROMPT = "embed"
GENERATION, EMBEDDING = "generation", "embedding"
KIND_LABELS: dict[str, str] = {
    **dict(Span.Kind.choices),
    GENERATION: "Generation",
    EMBEDDING: "Embedding",
}
# A ledger status in the waterfall's words (a span's status is already one of them).
CALL_STATUS = {
    LLMCall.Status.SUCCEEDED: "ok",
    LLMCall.Status.FAILED: "error",
    LLMCall.Status.INCOMPLETE: "incomplete",
    LLMCall.Status.CANCELLED: "cancelled",
}
BODIES_STORED, BODIES_NOT_STORED, BODIES_PRUNED = "stored", "not_stored", "pruned"


# --- the door -----------------------------------------------------------------------------------


def visible_traces(user: User) -> QuerySet[Trace]:
    """Every trace `user` may open, in all their workspaces."""
    if not user.is_authenticated:
        return Trace.objects.none()
    memberships = Membership.objects.filter(user=user)
    managed = memberships.filter(role__in=MANAGERS).values("workspace_id")
    joined = memberships.values("workspace_id")
    return Trace.objects.filter(Q(workspace_id__in=managed) | Q(workspace_id__in=joined, user=user))


def get_trace_for_user(user: User, trace_id: str, *, workspace: Workspace | None = None) -> Trace:
    if not isinstance(trace_id, str) or not TRACE_ID.match(trace_id):
        raise Http404("No such trace.")
    found = (
        visible_traces(user).select_related("workspace", "user", "job").filter(trace_id=trace_id)
    )
    if workspace is not None:
        found = found.filter(workspace=workspace)
    trace = found.first()
    if trace is None:
        raise Http404("No such trace.")
    return trace


def sees_all_traces(user: User, workspace: Workspace) -> bool:
    """Owners and admins see everyone's traces; members only their own."""
    return Membership.objects.filter(user=user, workspace=workspace, role__in=MANAGERS).exists()


def traces_for_user(
    user: User,
    workspace: Workspace,
    *,
    feature: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Trace]:
    """The traces of `workspace` that `user` may open, newest first, filtered."""
    found = visible_traces(user).filter(workspace=workspace).select_related("user")
    if feature:
        found = found.filter(feature=feature)
    if status:
        found = found.filter(status=status)
    if since is not None:
        found = found.filter(started_at__gte=since)
    if until is not None:
        found = found.filter(started_at__lt=until)
    return found.order_by("-started_at", "-trace_id")


def traces_for_jobs(user: User, job_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Trace]:
    """The trace of each job that `user` may open, by job id (jobs without one are left out):
    the links on chat replies, in two queries for a whole conversation."""
    wanted = {job_id for job_id in job_ids if job_id is not None}
    if not wanted or not user.is_authenticated:
        return {}
    trace_of_job = {
        job_id: trace_id
        for job_id, trace_id in Job.objects.filter(pk__in=wanted).values_list("pk", "trace_id")
        if trace_id
    }
    found = visible_traces(user).filter(
        Q(trace_id__in=set(trace_of_job.values())) | Q(job_id__in=wanted)
    )
    by_id = {trace.trace_id: trace for trace in found}
    links: dict[uuid.UUID, Trace] = {}
    for trace in by_id.values():
        if trace.job_id in wanted:
            links[trace.job_id] = trace
    for job_id, trace_id in trace_of_job.items():
        if trace_id in by_id:
            links[job_id] = by_id[trace_id]  # the job's own trace wins over a trace's job field
    return links


def trace_for_job(user: User, job: Job | uuid.UUID | None) -> Trace | None:
    """The trace of one job, when `user` may open it (a job page's "Trace" link)."""
    if job is None:
        return None
    job_id = job.pk if isinstance(job, Job) else job
    return traces_for_jobs(user, [job_id]).get(job_id)


def get_call_for_user(
    user: User,
    trace_id: str,
    call_id: uuid.UUID | str,
    *,
    workspace: Workspace | None = None,
) -> tuple[Trace, LLMCall]:
    """A model attempt, through its trace's door (a call of another trace is a 404)."""
    trace = get_trace_for_user(user, trace_id, workspace=workspace)
    try:
        call_uuid = call_id if isinstance(call_id, uuid.UUID) else uuid.UUID(str(call_id))
    except ValueError as exc:
        raise Http404("No such model call.") from exc
    call = (
        LLMCall.objects.select_related("retry_of")
        .filter(pk=call_uuid, trace_id=trace.trace_id, workspace_id=trace.workspace_id)
        .first()
    )
    if call is None:
        raise Http404("No such model call in this trace.")
    return trace, call


# --- the waterfall ------------------------------------------------------------------------------


@dataclass
class Step:
    """One bar of the waterfall: a span, or a model attempt (`call`)."""

    key: str
    span_id: str
    parent_span_id: str
    kind: str
    name: str
    status: str
    error: str
    started_at: datetime
    duration_ms: float
    call: LLMCall | None = None
    span: Span | None = None
    depth: int = 0
    offset_pct: float = 0.0
    width_pct: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: Decimal | None = None
    cost_unknown: bool = False
    is_retry: bool = False
    is_fallback: bool = False
    children: list[Step] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.title())

    @property
    def ended_at(self) -> datetime:
        return self.started_at + timedelta(milliseconds=self.duration_ms)

    @property
    def indent(self) -> int:
        """The depth the page indents by (deeper steps stay at the last level: a phone's width)."""
        return min(self.depth, MAX_INDENT)

    @property
    def is_model_call(self) -> bool:
        return self.call is not None

    # SVG attributes take a number with a dot whatever the locale: format them here.
    @property
    def x(self) -> str:
        return f"{self.offset_pct:.3f}"

    @property
    def width(self) -> str:
        return f"{self.width_pct:.3f}"


@dataclass
class TraceDetail:
    trace: Trace
    steps: list[Step]  # depth-first, in time order within each parent
    started_at: datetime
    duration_ms: float
    spans: list[Span]
    calls: list[LLMCall]
    hidden_steps: int  # steps beyond MAX_STEPS, not shown

    @property
    def errors(self) -> list[Step]:
        return [step for step in self.steps if step.status == "error"]

    @property
    def retries(self) -> int:
        return sum(1 for step in self.steps if step.is_retry)


def model_call_kind(call: LLMCall) -> str:
    return EMBEDDING if call.prompt_name == EMBEDDING_PROMPT else GENERATION


def _first_model(call: LLMCall, chain: dict[uuid.UUID, LLMCall]) -> str:
    """The model of the first attempt of `call`'s chain (retry_of, back to the start)."""
    first, seen = call, {call.pk}
    while first.retry_of_id is not None and first.retry_of_id in chain:
        if first.retry_of_id in seen:
            break  # a cycle in bad data
        first = chain[first.retry_of_id]
        seen.add(first.pk)
    return first.model


def _call_step(call: LLMCall, chain: dict[uuid.UUID, LLMCall]) -> Step:
    duration = float(call.latency_ms or 0)
    ended = call.created_at
    # An attempt on another model than its first attempt's is the fallback
    # (LLM_FALLBACK_MODEL); a later attempt on the same model is a retry.
    first_model = _first_model(call, chain)
    return Step(
        key=f"call-{call.pk}",
        span_id=call.span_id,
        parent_span_id=call.parent_span_id,
        kind=model_call_kind(call),
        name=call.model,
        status=CALL_STATUS.get(LLMCall.Status(call.status), call.status),
        error=call.error,
        started_at=ended - timedelta(milliseconds=duration),
        duration_ms=duration,
        call=call,
        input_tokens=call.input_tokens,
        output_tokens=call.output_tokens,
        cost_usd=call.cost_usd,
        cost_unknown=call.cost_unknown,
        is_retry=call.retry_of_id is not None,
        is_fallback=call.retry_of_id is not None and call.model != first_model,
    )


def _span_step(span: Span) -> Step:
    return Step(
        key=f"span-{span.pk}",
        span_id=span.span_id,
        parent_span_id=span.parent_span_id,
        kind=span.kind,
        name=span.name,
        status=span.status,
        error=span.error,
        started_at=span.started_at,
        duration_ms=float(span.duration_ms),
        span=span,
    )


def _as_tree(steps: list[Step]) -> list[Step]:
    """Depth-first order by parent_span_id → span_id; a step whose parent is not in the trace
    (not recorded, or beyond MAX_STEPS) is a root. Siblings in time order."""
    steps.sort(key=lambda s: (s.started_at, 0 if s.call is None else 1, s.key))
    # Parents by span id: spans before model attempts, and for an id seen twice (bad data) the
    # earliest step, the outermost one.
    by_span: dict[str, Step] = {}
    for step in [s for s in steps if s.call is None] + [s for s in steps if s.call is not None]:
        if step.span_id:
            by_span.setdefault(step.span_id, step)
    roots: list[Step] = []
    for step in steps:
        parent = by_span.get(step.parent_span_id) if step.parent_span_id else None
        if parent is None or parent is step:
            roots.append(step)
        else:
            parent.children.append(step)
    ordered: list[Step] = []
    seen: set[str] = set()

    def visit(step: Step, depth: int) -> None:
        if step.key in seen:
            return  # a cycle in bad data must not loop forever
        seen.add(step.key)
        step.depth = depth
        ordered.append(step)
        for child in step.children:
            visit(child, depth + 1)

    for root in roots:
        visit(root, 0)
    # Steps only reachable through a cycle: shown at the top level rather than lost.
    for step in steps:
        if step.key not in seen:
            visit(step, 0)
    return ordered


def trace_detail(trace: Trace, *, with_bodies: bool = False) -> TraceDetail:
    """The trace's waterfall. Bodies (messages sent, text received) are left out unless asked
    for: a waterfall of hundreds of attempts must not load hundreds of prompts."""
    spans = list(
        Span.objects.filter(trace_id=trace.trace_id, workspace_id=trace.workspace_id).order_by(
            "started_at", "pk"
        )[: MAX_STEPS + 1]
    )
    calls_found = LLMCall.objects.filter(
        trace_id=trace.trace_id, workspace_id=trace.workspace_id
    ).order_by("created_at", "pk")
    if not with_bodies:
        calls_found = calls_found.defer("request_messages", "response_text")
    calls = list(calls_found[: MAX_STEPS + 1])
    total = len(spans) + len(calls)
    if len(spans) > MAX_STEPS or len(calls) > MAX_STEPS:
        # Only a huge trace pays for counting what it does not show.
        total = (
            Span.objects.filter(trace_id=trace.trace_id, workspace_id=trace.workspace_id).count()
            + LLMCall.objects.filter(
                trace_id=trace.trace_id, workspace_id=trace.workspace_id
            ).count()
        )

    chain = {call.pk: call for call in calls}
    steps = [_span_step(span) for span in spans] + [_call_step(c, chain) for c in calls]
    steps.sort(key=lambda s: s.started_at)
    steps = steps[:MAX_STEPS]
    ordered = _as_tree(steps)

    starts = [trace.started_at, *(s.started_at for s in ordered)]
    ends = [s.ended_at for s in ordered]
    if trace.ended_at is not None:
        ends.append(trace.ended_at)
    started_at = min(starts)
    ended_at = max(ends, default=started_at)
    duration_ms = max((ended_at - started_at) / timedelta(milliseconds=1), 0.0)
    scale = max(duration_ms, 1.0)
    for step in ordered:
        offset = (step.started_at - started_at) / timedelta(milliseconds=1) / scale * 100
        width = max(step.duration_ms / scale * 100, MIN_BAR_PCT)
        step.offset_pct = min(max(offset, 0.0), 100.0 - MIN_BAR_PCT)
        step.width_pct = min(width, 100.0 - step.offset_pct)
    return TraceDetail(
        trace=trace,
        steps=ordered,
        started_at=started_at,
        duration_ms=duration_ms,
        spans=spans[:MAX_STEPS],
        calls=calls[:MAX_STEPS],
        hidden_steps=max(total - len(ordered), 0),
    )


# --- a model attempt's bodies -------------------------------------------------------------------


def bodies_state(call: LLMCall) -> str:
    """Whether the messages sent and the text received are here, and if not, why: retention
    prunes them after LLM_BODY_RETENTION_DAYS; before that a missing body means the workspace
    did not store it (Workspace.store_model_bodies)."""
    if call.request_messages is not None or call.response_text is not None:
        return BODIES_STORED
    retention = timedelta(days=settings.LLM_BODY_RETENTION_DAYS)
    if call.created_at < timezone.now() - retention:
        return BODIES_PRUNED
    return BODIES_NOT_STORED


@dataclass(frozen=True)
class SentMessage:
    role: str
    text: str


def _text_of(content: Any) -> str:
    """A message's content as text: a string as is, OpenAI's content parts by their text, and
    anything else as JSON (the page shows what was sent, whatever its shape)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(
        isinstance(part, dict) and isinstance(part.get("text"), str) for part in content
    ):
        return "\n".join(part["text"] for part in content)
    return json.dumps(content, indent=2, ensure_ascii=False, default=str)


def sent_messages(call: LLMCall) -> list[SentMessage]:
    """The messages the attempt sent, for the page (empty when none are stored)."""
    raw = call.request_messages
    if raw is None:
        return []
    if not isinstance(raw, list):
        return [SentMessage(role="request", text=_text_of(raw))]
    found = []
    for message in raw:
        if isinstance(message, dict):
            found.append(
                SentMessage(
                    role=str(message.get("role", "message")), text=_text_of(message.get("content"))
                )
            )
        else:
            found.append(SentMessage(role="message", text=_text_of(message)))
    return found
