"""Reads for "Ask once". `get_question_for_user` is the one door to a question.

Outside the user's workspaces a question does not exist (404); with `workspace` (an API key acts
in one workspace) it must also be in that one.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse

from product.accounts.models import User, Workspace
from product.ask import prompts
from product.ask.models import Question
from product.evals.registry import Example
from product.jobs.models import Job
from product.llm.models import LLMCall


def get_question_for_user(
    user: User, question_id: uuid.UUID | str, *, workspace: Workspace | None = None
) -> Question:
    questions = Question.objects.select_related("job", "workspace", "created_by").filter(
        workspace__memberships__user=user
    )
    if workspace is not None:
        questions = questions.filter(workspace=workspace)
    try:
        return questions.get(pk=question_id)
    except (Question.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such question.") from exc


def questions_for_workspace(workspace: Workspace) -> QuerySet[Question]:
    return (
        Question.objects.filter(workspace=workspace)
        .select_related("job", "created_by")
        .order_by("-created_at")
    )


def feedback_example(workspace: Workspace, subject_id: str) -> Example | None:
    """An answered question as evaluation sees it (the `ask.once` target's `example_for`): the
    input in the target's shape, the answer, and the model and prompt of its ledger call."""
    try:
        question_id = uuid.UUID(str(subject_id))
    except ValueError:
        return None
    question = (
        Question.objects.select_related("job").filter(workspace=workspace, pk=question_id).first()
    )
    if question is None or question.job.status != Job.Status.SUCCEEDED:
        return None
    result: dict[str, Any] = question.job.result if isinstance(question.job.result, dict) else {}
    call_id = str(result.get("call_id") or "") or None
    call = LLMCall.objects.filter(pk=call_id, workspace=workspace).first() if call_id else None
    example_input: dict[str, Any] = {"task": question.task, "text": question.text}
    if question.instruction:
        example_input["instruction"] = question.instruction
    return Example(
        input=example_input,
        output=question.answer,
        model=call.model if call else str(result.get("model", "")),
        prompt_name=call.prompt_name if call else prompts.PROMPT_NAME,
        prompt_version=call.prompt_version if call else prompts.PROMPT_VERSION,
        llm_call_id=str(call.pk) if call else None,
        url=reverse("ask:question-detail", kwargs={"pk": question.pk}),
    )
