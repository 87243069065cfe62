"""The data migration that gave jobs from before the ask app their Question.

Not copied by `startfeature` (a new feature has no history to migrate).
"""

from __future__ import annotations

import pytest
from django.apps import apps

from product.accounts.models import User, Workspace
from product.ask.models import Question
from product.jobs.models import Job


@pytest.mark.django_db
def test_the_migration_gives_old_jobs_their_question(alice: User, acme: Workspace) -> None:
    from importlib import import_module

    migration = import_module("product.ask.migrations.0002_questions_from_jobs")
    old = Job.objects.create(
        workspace=acme,
        created_by=alice,
        kind="ask.once",
        input={"text": "An old paste.", "task": "custom", "instruction": "List dates"},
    )
    migration.questions_from_jobs(apps, None)
    question = Question.objects.get(job=old)
    assert (question.text, question.task, question.instruction) == (
        "An old paste.",
        "custom",
        "List dates",
    )
    old.refresh_from_db()
    assert old.input == {"question_id": str(question.pk)}
    assert question.created_at == old.created_at
    migration.questions_from_jobs(apps, None)  # idempotent
    assert Question.objects.count() == 1
