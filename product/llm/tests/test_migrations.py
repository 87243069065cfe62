"""The ledger's job link became a foreign key; the migration repairs the rows written before."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from product.accounts.models import User, Workspace
from product.llm.models import LLMCall

BEFORE = [("llm", "0001_initial"), ("chat", "0001_initial"), ("jobs", "0002_job_reservation")]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_it_links_every_ledger_row_to_its_real_job(alice: User, acme: Workspace) -> None:
    old = _migrate(BEFORE)
    job_model, call_model = old.get_model("jobs", "Job"), old.get_model("llm", "LLMCall")
    reply_job = job_model.objects.create(workspace_id=acme.pk, kind="chat.reply")
    ask_job = job_model.objects.create(workspace_id=acme.pk, kind="ask.once")
    conversation = old.get_model("chat", "Conversation").objects.create(workspace_id=acme.pk)
    message = old.get_model("chat", "Message").objects.create(
        conversation=conversation, position=1, role="assistant", job_id=reply_job.pk
    )

    def call(job_id: uuid.UUID | None) -> uuid.UUID:
        row = call_model.objects.create(
            workspace_id=acme.pk, feature="f", model="m", status="succeeded", job_id=job_id
        )
        return row.pk  # type: ignore[no-any-return]

    by_message = call(message.pk)  # what chat.reply wrote: the message's id
    by_job = call(ask_job.pk)
    by_nothing = call(uuid.uuid4())  # a job that was deleted, or an id that never was one
    unlinked = call(None)

    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())

    links = dict(LLMCall.objects.values_list("pk", "job_id"))
    assert links == {
        by_message: reply_job.pk,
        by_job: ask_job.pk,
        by_nothing: None,
        unlinked: None,
    }
    assert LLMCall.objects.get(pk=by_message).job.kind == "chat.reply"  # type: ignore[union-attr]
