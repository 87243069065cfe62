"""The "Trace" link on the pages that show a job: an evaluation run and an ingested document
(chat replies and Ask once answers test theirs in their own apps)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from product.accounts.models import User, Workspace
from product.evals.tests.factories import RunFactory
from product.jobs.models import Job
from product.jobs.tests.factories import JobFactory
from product.knowledge.tests.factories import DocumentFactory
from product.observability.models import Trace
from product.observability.tests.factories import TraceFactory

pytestmark = pytest.mark.django_db


def _traced(job: Job, user: User) -> Trace:
    trace = TraceFactory(workspace=job.workspace, user=user, job=job)
    job.trace_id = trace.trace_id
    job.save(update_fields=["trace_id"])
    return trace


def _link(trace: Trace) -> str:
    return reverse("observability:trace-detail", kwargs={"trace_id": trace.trace_id})


def test_it_links_an_evaluation_run_to_its_trace(
    alice: User, bob: User, acme: Workspace, alice_client: Client, bob_client: Client
) -> None:
    run = RunFactory(workspace=acme, created_by=alice)
    trace = _traced(run.job, alice)
    url = reverse("evals:run-detail", kwargs={"pk": run.pk})
    assert _link(trace) in alice_client.get(url).content.decode()
    page = bob_client.get(url)  # bob reads his teammate's run, not her trace
    assert page.status_code == 200 and _link(trace) not in page.content.decode()


def test_it_links_a_documents_ingestion_to_its_trace(
    alice: User, acme: Workspace, alice_client: Client
) -> None:
    document = DocumentFactory(workspace=acme, created_by=alice)
    url = reverse("knowledge:document-detail", kwargs={"pk": document.pk})
    assert "data-trace-link" not in alice_client.get(url).content.decode()
    document.job = JobFactory(workspace=acme, created_by=alice, kind="knowledge.ingest")
    document.save(update_fields=["job"])
    trace = _traced(document.job, alice)
    assert _link(trace) in alice_client.get(url).content.decode()
