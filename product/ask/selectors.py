"""Reads for "Ask once". `get_question_for_user` is the one door to a question.

Outside the user's workspaces a question does not exist (404); with `workspace` (an API key acts
in one workspace) it must also be in that one.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from product.accounts.models import User, Workspace
from product.ask.models import Question


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
