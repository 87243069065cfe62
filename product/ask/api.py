"""Ask once over the API: ask a question (a background job), read one, list them.

`POST /questions` is idempotent with an `Idempotency-Key`; quotas are checked before anything is
written (429 with `Retry-After` when over). Poll `GET /questions/{id}` until `job.status` is
succeeded, failed or cancelled; cancel and retry through `/jobs/{id}/cancel|retry`. A question
outside the key's workspace is a 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from product.apikeys.auth import require_scope
from product.ask import prompts, services
from product.ask.models import Question
from product.ask.schemas import ContactDetails, InvoiceFields
from product.ask.selectors import get_question_for_user, questions_for_workspace
from product.core.errors import InvalidInput
from product.core.idempotency import IdempotencyKeyHeader, run_idempotent
from product.core.pagination import cursor_paginated
from product.jobs.api import JobDetailOut, JobOut, job_detail

router = Router(tags=["ask"])


class QuestionIn(Schema):
    # The schema says what create_question enforces: a custom task needs a non-blank instruction.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"task": {"const": "custom"}}, "required": ["task"]},
            "then": {
                "properties": {"instruction": {"type": "string", "pattern": "\\S"}},
                "required": ["instruction"],
            },
        }
    )

    text: str = Field(
        min_length=1,
        max_length=prompts.MAX_TEXT_CHARS,
        description=f"The text to work on, at most {prompts.MAX_TEXT_CHARS} characters.",
        examples=["Keel is a Django starter that small teams fork to ship an AI product."],
    )
    task: prompts.TaskName = Field(
        "summarise",
        description="summarise, key_points, custom (then send `instruction`), or an extract task: "
        "extract_contact or extract_invoice (the answer's typed `fields`).",
    )
    instruction: str | None = Field(
        None, max_length=prompts.MAX_INSTRUCTION_CHARS, examples=["List every date mentioned."]
    )


class QuestionOut(Schema):
    id: uuid.UUID
    task: str = Field(examples=["summarise"])
    instruction: str
    text: str
    answer: str = Field(description="The model's answer; empty until the job has succeeded.")
    fields: ContactDetails | InvoiceFields | None = Field(
        None,
        description="An extract task's typed answer once the job has succeeded (ContactDetails "
        "for extract_contact, InvoiceFields for extract_invoice); null otherwise.",
    )
    created_at: datetime
    job: JobOut


class QuestionDetailOut(QuestionOut):
    job: JobDetailOut  # the detail adds the job's usage


def _detail(question: Question) -> dict[str, Any]:
    out = QuestionDetailOut.model_validate(
        {
            **QuestionOut.model_validate(question).model_dump(exclude={"job"}),
            "job": job_detail(question.job),
        }
    )
    return out.model_dump(mode="json")


@router.post(
    "/questions",
    response={202: QuestionDetailOut},
    summary="Ask a question",
    description="Queues the question as an `ask.once` job and answers at once; poll "
    "`GET /questions/{id}` until `job.status` is succeeded, failed or cancelled. Over quota: 429 "
    "with `Retry-After`, and nothing is queued.",
)
def create_question(
    request: HttpRequest, payload: QuestionIn, idempotency_key: IdempotencyKeyHeader = None
) -> Status[Any]:
    who = require_scope(request, "write")
    if payload.task == "custom" and not (payload.instruction or "").strip():
        raise InvalidInput(
            "A custom task needs an instruction.",
            code="validation_error",
            details=[{"field": "body.instruction", "message": "Required for custom."}],
        )

    def create() -> tuple[int, Any]:
        # Over quota or too long: the KeelError is the API's answer (429 / 422), nothing queued.
        question = services.submit_question(
            workspace=who.workspace,
            user=who.user,
            text=payload.text,
            task=payload.task,
            instruction=payload.instruction or "",
            idempotency_key=idempotency_key,
        )
        return 202, _detail(question)

    status, body = run_idempotent(
        actor=who,
        scope="ask.create",
        key=idempotency_key,
        payload=payload.model_dump(mode="json"),
        create=create,
    )
    return Status(status, body)


@router.get("/questions", response=list[QuestionOut], summary="List the workspace's questions")
@cursor_paginated
def list_questions(request: HttpRequest) -> Any:
    who = require_scope(request, "read")
    return questions_for_workspace(who.workspace)


@router.get("/questions/{question_id}", response=QuestionDetailOut, summary="Read a question")
def get_question(request: HttpRequest, question_id: uuid.UUID) -> dict[str, Any]:
    who = require_scope(request, "read")
    return _detail(get_question_for_user(who.user, question_id, workspace=who.workspace))
