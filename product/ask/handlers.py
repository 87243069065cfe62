"""The job kinds of "Ask once"; product.jobs imports every app's handlers.py at start-up.

A handler is a thin adapter, like a view: ids in (the job's input), the service does the work.
`messages` lets the jobs machinery reserve budget again when a job is retried.
"""

from __future__ import annotations

from typing import Any

from product.ask import prompts, services
from product.ask.models import Question
from product.jobs.registry import JobContext, job_handler


def _question(job_input: dict[str, Any]) -> Question:
    # No join on the job: the handler has it (ctx.job), loaded with what it needs by the claim.
    return Question.objects.get(pk=job_input["question_id"])


def _messages(job_input: dict[str, Any]) -> list[dict[str, str]]:
    return services.messages_for(_question(job_input))


@job_handler(prompts.KIND, messages=_messages)
def answer_question(ctx: JobContext) -> dict[str, Any]:
    return services.answer_question(ctx=ctx, question=_question(ctx.job.input))
