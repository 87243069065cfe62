"""The door to traces, the list's filters, and the waterfall's assembly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from product.accounts.models import Membership, User, Workspace
from product.jobs.tests.factories import JobFactory
from product.observability import selectors
from product.observability.models import Span, Trace
from product.observability.tests.factories import (
    LLMCallFactory,
    SpanFactory,
    TraceFactory,
    make_chat_trace,
)

pytestmark = pytest.mark.django_db


def _corner() -> Workspace:
    return Workspace.objects.get(name="Charlie's corner")


# --- the door -----------------------------------------------------------------------------------


def test_it_shows_an_owner_every_trace_of_the_workspace(
    alice: User, bob: User, acme: Workspace
) -> None:
    bobs = TraceFactory(workspace=acme, user=bob)
    assert selectors.get_trace_for_user(alice, bobs.trace_id) == bobs


def test_it_shows_an_admin_every_trace_of_the_workspace(
    alice: User, bob: User, acme: Workspace
) -> None:
    Membership.objects.filter(user=bob, workspace=acme).update(role=Membership.Role.ADMIN)
    alices = TraceFactory(workspace=acme, user=alice)
    assert selectors.get_trace_for_user(bob, alices.trace_id) == alices


def test_it_shows_a_member_only_their_own_traces(alice: User, bob: User, acme: Workspace) -> None:
    bobs = TraceFactory(workspace=acme, user=bob)
    alices = TraceFactory(workspace=acme, user=alice)
    nobodys = TraceFactory(workspace=acme, user=None)
    assert selectors.get_trace_for_user(bob, bobs.trace_id) == bobs
    for hidden in (alices, nobodys):
        with pytest.raises(Http404):
            selectors.get_trace_for_user(bob, hidden.trace_id)


def test_it_hides_traces_from_outsiders(alice: User, acme: Workspace, charlie: User) -> None:
    alices = TraceFactory(workspace=acme, user=alice)
    with pytest.raises(Http404):
        selectors.get_trace_for_user(charlie, alices.trace_id)


def test_it_hides_a_trace_outside_the_workspace_asked_for(
    alice: User, acme: Workspace, charlie: User
) -> None:
    Membership.objects.create(workspace=_corner(), user=alice, role=Membership.Role.MEMBER)
    alices = TraceFactory(workspace=acme, user=alice)
    assert selectors.get_trace_for_user(alice, alices.trace_id, workspace=acme) == alices
    with pytest.raises(Http404):
        selectors.get_trace_for_user(alice, alices.trace_id, workspace=_corner())


def test_it_forgets_a_person_who_left(alice: User, bob: User, acme: Workspace) -> None:
    bobs = TraceFactory(workspace=acme, user=bob)
    Membership.objects.filter(user=bob).delete()
    with pytest.raises(Http404):
        selectors.get_trace_for_user(bob, bobs.trace_id)


@pytest.mark.parametrize("bad", ["", "nothex" * 6, "A" * 32, "0" * 31, "0" * 33])
def test_it_answers_404_for_ids_that_are_no_trace_id(alice: User, bad: str) -> None:
    with pytest.raises(Http404):
        selectors.get_trace_for_user(alice, bad)


def test_it_opens_a_call_only_through_its_own_trace(alice: User, acme: Workspace) -> None:
    trace, steps = make_chat_trace(workspace=acme, user=alice)
    other = TraceFactory(workspace=acme, user=alice)
    call = steps["retry"]
    assert selectors.get_call_for_user(alice, trace.trace_id, call.pk) == (trace, call)
    with pytest.raises(Http404):
        selectors.get_call_for_user(alice, other.trace_id, call.pk)
    with pytest.raises(Http404):
        selectors.get_call_for_user(alice, trace.trace_id, "not-a-uuid")


# --- links from jobs ----------------------------------------------------------------------------


def test_it_finds_a_jobs_trace_by_the_jobs_trace_id(
    alice: User, bob: User, acme: Workspace
) -> None:
    trace = TraceFactory(workspace=acme, user=bob)
    job = JobFactory(workspace=acme, created_by=bob, trace_id=trace.trace_id)
    assert selectors.trace_for_job(bob, job) == trace
    assert selectors.trace_for_job(alice, job.pk) == trace  # the owner sees it too


def test_it_finds_a_jobs_trace_by_the_traces_job(alice: User, acme: Workspace) -> None:
    job = JobFactory(workspace=acme, created_by=alice)
    trace = TraceFactory(workspace=acme, user=alice, job=job)
    assert selectors.trace_for_job(alice, job) == trace


def test_it_gives_no_link_to_whoever_may_not_open_the_trace(
    alice: User, bob: User, acme: Workspace, charlie: User
) -> None:
    trace = TraceFactory(workspace=acme, user=alice)
    job = JobFactory(workspace=acme, created_by=alice, trace_id=trace.trace_id)
    untraced = JobFactory(workspace=acme, created_by=alice)
    assert selectors.trace_for_job(bob, job) is None
    assert selectors.trace_for_job(charlie, job) is None
    assert selectors.trace_for_job(alice, untraced) is None
    assert selectors.traces_for_jobs(alice, [job.pk, untraced.pk, None]) == {job.pk: trace}


# --- the list -----------------------------------------------------------------------------------


def test_it_lists_newest_first_and_only_what_the_person_may_see(
    alice: User, bob: User, acme: Workspace, charlie: User
) -> None:
    now = timezone.now()
    old = TraceFactory(workspace=acme, user=bob, started_at=now - timedelta(hours=2))
    new = TraceFactory(workspace=acme, user=alice, started_at=now - timedelta(minutes=1))
    TraceFactory(workspace=_corner(), user=charlie)
    assert list(selectors.traces_for_user(alice, acme)) == [new, old]
    assert list(selectors.traces_for_user(bob, acme)) == [old]
    assert list(selectors.traces_for_user(charlie, acme)) == []


def test_it_filters_by_feature_status_and_time(alice: User, acme: Workspace) -> None:
    now = timezone.now()
    chat = TraceFactory(workspace=acme, user=alice, feature="chat", started_at=now)
    failed = TraceFactory(
        workspace=acme,
        user=alice,
        feature="ask",
        status=Trace.Status.ERROR,
        started_at=now - timedelta(days=2),
    )
    old = TraceFactory(
        workspace=acme, user=alice, feature="ask", started_at=now - timedelta(days=9)
    )

    def found(**filters: object) -> set[str]:
        return {t.trace_id for t in selectors.traces_for_user(alice, acme, **filters)}  # type: ignore[arg-type]

    assert found(feature="chat") == {chat.trace_id}
    assert found(status="error") == {failed.trace_id}
    assert found(since=now - timedelta(days=7)) == {chat.trace_id, failed.trace_id}
    assert found(until=now - timedelta(days=1)) == {failed.trace_id, old.trace_id}
    assert found(feature="ask", since=now - timedelta(days=3), until=now) == {failed.trace_id}


# --- the waterfall ------------------------------------------------------------------------------


def test_it_assembles_spans_and_calls_into_a_tree_in_time_order(
    alice: User, acme: Workspace
) -> None:
    trace, steps = make_chat_trace(workspace=acme, user=alice)
    detail = selectors.trace_detail(trace)
    order = [(step.kind, step.depth) for step in detail.steps]
    assert order == [
        ("request", 0),
        ("queue", 1),
        ("job", 1),
        ("retrieval", 2),
        ("generation", 2),
        ("generation", 2),
    ]
    failed, retry = detail.steps[4], detail.steps[5]
    assert failed.call == steps["failed"] and failed.status == "error"
    assert failed.error.startswith("ProviderError")
    assert retry.call == steps["retry"] and retry.is_retry and not retry.is_fallback
    assert detail.errors == [failed]
    assert detail.retries == 1


def test_it_places_each_step_in_percent_of_the_trace(alice: User, acme: Workspace) -> None:
    trace, _ = make_chat_trace(workspace=acme, user=alice)
    detail = selectors.trace_detail(trace)
    assert detail.duration_ms == pytest.approx(2000)
    by_kind = {step.kind: step for step in detail.steps}
    assert by_kind["request"].offset_pct == pytest.approx(0)
    assert by_kind["request"].width_pct == pytest.approx(2.5)
    assert by_kind["job"].offset_pct == pytest.approx(10)
    assert by_kind["job"].width_pct == pytest.approx(90)
    # A model attempt ends at its row's created_at and lasted latency_ms: 750 ms → 1950 ms.
    retry = detail.steps[-1]
    assert retry.offset_pct == pytest.approx(37.5)
    assert retry.width_pct == pytest.approx(60)
    assert retry.x == "37.500" and retry.width == "60.000"


def test_it_keeps_tiny_steps_visible_and_inside_the_track(alice: User, acme: Workspace) -> None:
    trace = TraceFactory(workspace=acme, user=alice, duration_ms=10_000.0)
    trace.ended_at = trace.started_at + timedelta(seconds=10)
    trace.save()
    SpanFactory(trace=trace, started_at=trace.ended_at, duration_ms=0.01)
    (step,) = selectors.trace_detail(trace).steps
    assert step.width_pct == pytest.approx(selectors.MIN_BAR_PCT)
    assert step.offset_pct + step.width_pct <= 100.0


def test_it_marks_an_attempt_on_another_model_as_the_fallback(alice: User, acme: Workspace) -> None:
    trace = TraceFactory(workspace=acme, user=alice)
    first = LLMCallFactory(trace=trace, model="big", status="failed")
    second = LLMCallFactory(trace=trace, model="big", attempt=2, retry_of=first, status="failed")
    LLMCallFactory(trace=trace, model="small", attempt=3, retry_of=second)
    steps = selectors.trace_detail(trace).steps
    assert [(s.is_retry, s.is_fallback) for s in steps] == [
        (False, False),
        (True, False),
        (True, True),
    ]


def test_it_names_embeddings_apart_from_generations(alice: User, acme: Workspace) -> None:
    trace = TraceFactory(workspace=acme, user=alice)
    LLMCallFactory(trace=trace, prompt_name="embed", model="dev-embed")
    (step,) = selectors.trace_detail(trace).steps
    assert step.kind == "embedding" and step.kind_label == "Embedding"


def test_it_shows_only_the_traces_own_rows(alice: User, acme: Workspace, charlie: User) -> None:
    trace, _ = make_chat_trace(workspace=acme, user=alice)
    # The same trace id in another workspace (it cannot happen by chance; it must not leak).
    SpanFactory(trace_id=trace.trace_id, workspace=_corner(), user=charlie, name="theirs")
    LLMCallFactory(trace_id=trace.trace_id, workspace=_corner(), user=charlie, model="theirs")
    names = {step.name for step in selectors.trace_detail(trace).steps}
    assert "theirs" not in names


def test_it_caps_a_huge_waterfall_and_says_how_much_is_hidden(
    alice: User, acme: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "MAX_STEPS", 3)
    trace = TraceFactory(workspace=acme, user=alice)
    for n in range(5):
        SpanFactory(
            trace=trace,
            kind=Span.Kind.GRADER,
            started_at=trace.started_at + timedelta(milliseconds=n),
        )
    detail = selectors.trace_detail(trace)
    assert len(detail.steps) == 3
    assert detail.hidden_steps == 2


def test_it_tells_stored_from_not_stored_from_pruned_bodies(
    alice: User, acme: Workspace, settings: object
) -> None:
    trace = TraceFactory(workspace=acme, user=alice)
    stored = LLMCallFactory(trace=trace)
    absent = LLMCallFactory(trace=trace, request_messages=None, response_text=None)
    pruned = LLMCallFactory(
        trace=trace,
        request_messages=None,
        response_text=None,
        created_at=timezone.now() - timedelta(days=31),
    )
    settings.LLM_BODY_RETENTION_DAYS = 30  # type: ignore[attr-defined]
    assert selectors.bodies_state(stored) == selectors.BODIES_STORED
    assert selectors.bodies_state(absent) == selectors.BODIES_NOT_STORED
    assert selectors.bodies_state(pruned) == selectors.BODIES_PRUNED


def test_it_reads_messages_of_any_shape(alice: User, acme: Workspace) -> None:
    trace = TraceFactory(workspace=acme, user=alice)
    call = LLMCallFactory(
        trace=trace,
        request_messages=[
            {
                "role": "user",
                "content": [{"type": "text", "text": "part one"}, {"type": "text", "text": "two"}],
            },
            {"role": "tool", "content": {"result": 42}},
            "bare",
        ],
    )
    assert [(m.role, m.text) for m in selectors.sent_messages(call)] == [
        ("user", "part one\ntwo"),
        ("tool", '{\n  "result": 42\n}'),
        ("message", "bare"),
    ]
