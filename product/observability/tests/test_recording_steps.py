"""The steps of a trace other than model attempts: retrieval, ingestion stages, eval cases and
their grading, each with the model attempts made inside it as its children."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from pydantic import BaseModel

from product.accounts.models import User, Workspace
from product.core import tracing
from product.evals import runs
from product.evals.registry import GraderSpec, RunConfig
from product.evals.tests import run_helpers  # noqa: F401  (registers the tests' graders)
from product.evals.tests.run_helpers import ask_row, make_version
from product.jobs import services as job_services
from product.jobs.models import Job
from product.knowledge import retrieval
from product.knowledge import services as knowledge
from product.knowledge.models import Collection, Document
from product.llm.models import LLMCall
from product.llm.tool_loop import stream_with_tools
from product.llm.tools import Tool, ToolOutput, ToolScope
from product.observability.models import Span, Trace

pytestmark = pytest.mark.usefixtures("devmodel_llm")
IN_FLIGHT = 3 if django_settings.DATABASE_IS_POSTGRES else 1


@pytest.fixture
def handbook(alice: User, acme: Workspace) -> Collection:
    collection = knowledge.create_collection(workspace=acme, user=alice, name="Handbook")
    upload = knowledge.upload_document(
        collection=collection,
        user=alice,
        filename="handbook.md",
        data=b"# Leave\n\nEveryone gets 25 days of paid leave a year.\n\n# Expenses\n\n"
        b"Claim expenses within 30 days.\n",
    )
    assert upload.document.job is not None
    job_services.run_job(upload.document.job.pk)
    return collection


@pytest.mark.django_db
def test_ingestion_is_four_stages_with_the_embeddings_inside_one(handbook: Collection) -> None:
    document = Document.objects.get(collection=handbook)
    assert document.job is not None
    job = Job.objects.get(pk=document.job.pk)
    spans = list(Span.objects.filter(trace_id=job.trace_id))
    stages = [s.name for s in spans if s.kind == Span.Kind.STAGE]
    assert stages == ["parse", "chunk", "embed", "index"]
    embed_stage = next(s for s in spans if s.name == "embed")
    assert embed_stage.attributes["keel.document.embedded"] > 0
    calls = LLMCall.objects.filter(trace_id=job.trace_id)
    assert calls.exists()
    assert {c.parent_span_id for c in calls} == {embed_stage.span_id}
    trace = Trace.objects.get(trace_id=job.trace_id)
    assert (trace.name, trace.feature, trace.status) == ("knowledge.ingest", "knowledge", "ok")
    assert trace.calls == calls.count()


@pytest.mark.django_db
def test_retrieval_is_a_step_with_its_query_embedding_inside(
    handbook: Collection, alice: User, acme: Workspace
) -> None:
    with tracing.begin(kind=tracing.JOB, name="t", feature="t", workspace_id=acme.pk) as scope:
        found = retrieval.search(
            workspace=acme, collection_ids=[handbook.pk], query="paid leave", user=alice
        )
    assert found.fused
    [step] = Span.objects.filter(trace_id=scope.trace_id, kind=Span.Kind.RETRIEVAL)
    assert step.attributes["gen_ai.operation.name"] == "retrieval"
    assert step.attributes["keel.retrieval.query"] == "paid leave"
    assert step.attributes["keel.retrieval.passages"] == len(found.fused)
    [embedding] = LLMCall.objects.filter(trace_id=scope.trace_id)
    assert embedding.parent_span_id == step.span_id


@pytest.mark.django_db(transaction=True)
def test_an_eval_run_traces_each_case_and_its_grading(alice: User, acme: Workspace) -> None:
    rows: list[dict[str, Any]] = [
        ask_row(f"[[reply: Answer {i}.]] Text {i}.", f"Answer {i}") for i in range(3)
    ]
    run = runs.submit_run(
        workspace=acme,
        user=alice,
        dataset_version=make_version(acme, alice, rows),
        graders=[GraderSpec(name="test_has_reference")],
        config=RunConfig(),
        concurrency=IN_FLIGHT,
    )
    run = runs.execute_run_inline(run)
    trace_id = run.job.trace_id
    spans = list(Span.objects.filter(trace_id=trace_id))
    cases = [s for s in spans if s.kind == Span.Kind.STAGE]
    grades = [s for s in spans if s.kind == Span.Kind.GRADER]
    [job_span] = [s for s in spans if s.kind == Span.Kind.JOB]
    assert len(cases) == 3 and len(grades) == 3
    assert {c.parent_span_id for c in cases} == {job_span.span_id}
    assert {g.parent_span_id for g in grades} == {c.span_id for c in cases}
    assert all(g.name == "grade test_has_reference" for g in grades)
    calls = LLMCall.objects.filter(trace_id=trace_id)
    assert calls.count() == 3
    assert {c.parent_span_id for c in calls} == {c.span_id for c in cases}
    assert Trace.objects.get(trace_id=trace_id).calls == 3


class _EchoArgs(BaseModel):
    text: str


@pytest.mark.django_db
def test_a_tool_using_reply_traces_each_round_and_each_call(alice: User, acme: Workspace) -> None:
    echo = Tool(
        "echo_trace_test",
        "Echo.",
        _EchoArgs,
        lambda scope, args: ToolOutput(f"echo {args.text}"),
    )
    with tracing.begin(kind=tracing.JOB, name="t", feature="t", workspace_id=acme.pk) as scope:
        result = stream_with_tools(
            workspace=acme,
            user=alice,
            feature="test",
            messages=[
                {
                    "role": "user",
                    "content": '[[tool: echo_trace_test {"text": "a"}]] [[tool: nope {}]]',
                }
            ],
            prompt_name="tools",
            tools=[echo],
            scope=ToolScope(workspace=acme, user=alice),
            on_delta=lambda delta: None,
        )
    assert result.rounds == 1
    steps = {s.name: s for s in Span.objects.filter(trace_id=scope.trace_id, kind=Span.Kind.TOOL)}
    assert set(steps) == {"execute_tool echo_trace_test", "execute_tool nope"}
    ran = steps["execute_tool echo_trace_test"]
    assert ran.status == Span.Status.OK
    assert ran.attributes["gen_ai.tool.name"] == "echo_trace_test"
    assert ran.attributes["gen_ai.operation.name"] == "execute_tool"
    refused = steps["execute_tool nope"]
    assert refused.status == Span.Status.ERROR and "no tool named 'nope'" in refused.error
    # Both rounds' model attempts are in the same trace, beside the calls.
    assert LLMCall.objects.filter(trace_id=scope.trace_id).count() == 2
    assert ran.parent_span_id == refused.parent_span_id
