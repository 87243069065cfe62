"""Real answers to rate, made the way the features make them: a finished chat reply and an
answered Ask once question, each with its ledger call (the dev model server answers)."""

from __future__ import annotations

from django.test import TestCase

from product.accounts.models import User, Workspace
from product.ask import services as ask_services
from product.ask.models import Question
from product.chat import services as chat_services
from product.chat.models import Message
from product.jobs import services as job_services


def chat_reply(
    workspace: Workspace, user: User, text: str = "[[reply: Paris.]] Capital?"
) -> Message:
    conversation = chat_services.start_conversation(workspace=workspace, user=user)
    chat_services.send_message(conversation=conversation, author=user, text="Hello there")
    first = conversation.messages.get(role=Message.Role.ASSISTANT)
    _run(first)
    reply = chat_services.send_message(conversation=conversation, author=user, text=text).reply
    _run(reply)
    reply.refresh_from_db()
    assert reply.status == Message.Status.DONE, reply.error_message
    return reply


def _run(reply: Message) -> None:
    reply.refresh_from_db()
    assert reply.job_id is not None
    with TestCase.captureOnCommitCallbacks(execute=True):
        job_services.run_job(reply.job_id)


def answered_question(
    workspace: Workspace, user: User, text: str = "[[reply: A short summary.]] Long text."
) -> Question:
    question = ask_services.submit_question(
        workspace=workspace, user=user, text=text, task="summarise"
    )
    job_services.run_job(question.job_id)
    question.refresh_from_db()
    question.job.refresh_from_db()
    assert question.job.status == "succeeded", question.job.error_message
    return question
