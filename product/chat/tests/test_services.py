from __future__ import annotations

from decimal import Decimal

import pytest

from product.accounts.models import User, Workspace
from product.chat import services, streams
from product.chat.models import Conversation, Message
from product.chat.tests.conftest import run_reply, send, stream_text
from product.jobs.models import Job
from product.llm.errors import QuotaExceeded
from product.llm.models import LLMCall

pytestmark = pytest.mark.usefixtures("devmodel_llm")


def test_it_streams_a_reply_into_the_message(
    conversation: Conversation, alice: User, stream_backend: str
) -> None:
    exchange = send(conversation, alice, "Hi [[reply: Hello there, Alice!]]")
    assert exchange.reply.status == Message.Status.QUEUED
    reply = run_reply(exchange.reply)
    assert reply.status == Message.Status.DONE
    assert reply.text == "Hello there, Alice!"
    assert stream_text(reply) == "Hello there, Alice!"
    entries = streams.get_backend().read(reply.pk)
    assert entries[-1].kind == streams.END
    assert reply.stream_cursor == entries[-2].cursor


def test_it_records_usage_from_the_ledger(conversation: Conversation, alice: User) -> None:
    reply = run_reply(send(conversation, alice, "[[reply: Four words right here]]").reply)
    assert reply.llm_call_id is not None
    call = LLMCall.objects.get(pk=reply.llm_call_id)
    assert reply.model == call.model
    assert reply.output_tokens == call.output_tokens > 0
    assert reply.input_tokens == call.input_tokens > 0
    assert reply.cost_usd == call.cost_usd
    assert reply.cost_usd is not None and reply.cost_usd > Decimal(0)
    assert reply.latency_ms is not None


def test_it_sends_the_history_to_the_model(conversation: Conversation, alice: User) -> None:
    run_reply(send(conversation, alice, "My name is Zebulon. [[reply: Noted.]]").reply)
    reply = run_reply(send(conversation, alice, "Who am I? [[expect: Zebulon]]").reply)
    assert reply.status == Message.Status.DONE


def test_it_refuses_blank_messages(conversation: Conversation, alice: User) -> None:
    with pytest.raises(services.ChatError) as caught:
        send(conversation, alice, "   ")
    assert caught.value.code == "blank_message"
    assert not conversation.messages.exists()


def test_it_refuses_a_send_while_a_reply_streams(conversation: Conversation, alice: User) -> None:
    send(conversation, alice, "first")
    with pytest.raises(services.ChatError) as caught:
        send(conversation, alice, "second")
    assert caught.value.code == "reply_in_progress"
    assert conversation.messages.count() == 2


def test_it_writes_nothing_over_quota(
    conversation: Conversation, alice: User, acme: Workspace, settings: object
) -> None:
    settings.LLM_WORKSPACE_MONTHLY_BUDGET_USD = Decimal("0")  # type: ignore[attr-defined]
    with pytest.raises(QuotaExceeded):
        send(conversation, alice, "Hello")
    assert not conversation.messages.exists()
    assert not Job.objects.filter(workspace=acme).exists()


def test_it_marks_a_provider_failure_and_keeps_the_user_message(
    conversation: Conversation, alice: User, settings: object
) -> None:
    settings.LLM_MAX_RETRIES = 0  # type: ignore[attr-defined]
    exchange = send(conversation, alice, "[[error: 400 message=nope]]")
    reply = run_reply(exchange.reply)
    assert reply.status == Message.Status.FAILED
    assert reply.error_message
    assert Message.objects.filter(pk=exchange.user_message.pk).exists()
    entries = streams.get_backend().read(reply.pk)
    assert entries[-1].kind == streams.END


def test_it_keeps_partial_text_when_the_stream_breaks(
    conversation: Conversation, alice: User
) -> None:
    reply = run_reply(send(conversation, alice, "[[tokens: 30]] [[error_after: 5]]").reply)
    assert reply.status == Message.Status.FAILED
    assert reply.text
    assert stream_text(reply) == reply.text


def test_it_retries_a_failed_reply(
    conversation: Conversation, alice: User, settings: object
) -> None:
    settings.LLM_MAX_RETRIES = 0  # type: ignore[attr-defined]
    failed = run_reply(
        send(
            conversation, alice, "Hi [[fail_times: 1 status=400 key=svc-retry]] [[reply: Back.]]"
        ).reply
    )
    assert failed.status == Message.Status.FAILED
    again = services.regenerate_reply(message=failed, user=alice)
    assert not Message.objects.filter(pk=failed.pk).exists()
    assert again.position == failed.position
    done = run_reply(again)
    assert done.status == Message.Status.DONE
    assert done.text == "Back."


def test_it_stops_a_queued_reply_at_once(conversation: Conversation, alice: User) -> None:
    reply = send(conversation, alice, "[[tokens: 50]]").reply
    stopped = services.stop_reply(message=reply, user=alice)
    assert stopped.status == Message.Status.STOPPED
    assert reply.job_id is not None
    assert Job.objects.get(pk=reply.job_id).status == Job.Status.CANCELLED
    assert streams.get_backend().read(reply.pk)[-1].kind == streams.END


def test_it_stops_a_running_reply_and_keeps_the_partial_text(
    conversation: Conversation, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = send(conversation, alice, "[[tokens: 200]] [[delay_ms: 5]]").reply
    original = services._ReplyWriter.on_delta
    seen: list[str] = []

    def on_delta(self: services._ReplyWriter, delta: str) -> None:
        original(self, delta)
        seen.append(delta)
        if len(seen) == 5:
            services.stop_reply(message=Message.objects.get(pk=reply.pk), user=alice)
            # The cancel flag is polled every 250 ms: don't make the test wait for it.
            from product.jobs.registry import beater

            for ctx in list(beater._contexts.values()):
                ctx.mark_cancelled()

    monkeypatch.setattr(services._ReplyWriter, "on_delta", on_delta)
    stopped = run_reply(reply)
    assert stopped.status == Message.Status.STOPPED
    assert stopped.text == "".join(seen)
    assert 5 <= len(seen) < 200


def test_it_regenerates_the_last_reply(conversation: Conversation, alice: User) -> None:
    first = run_reply(send(conversation, alice, "[[reply: One]]").reply)
    again = run_reply(services.regenerate_reply(message=first, user=alice))
    assert again.text == "One"
    assert list(conversation.messages.values_list("role", flat=True)) == ["user", "assistant"]


def test_it_only_regenerates_the_last_reply(conversation: Conversation, alice: User) -> None:
    first = run_reply(send(conversation, alice, "[[reply: One]]").reply)
    run_reply(send(conversation, alice, "[[reply: Two]]").reply)
    with pytest.raises(services.ChatError):
        services.regenerate_reply(message=first, user=alice)


def test_it_edits_the_last_user_message_and_replies_again(
    conversation: Conversation, alice: User
) -> None:
    exchange = send(conversation, alice, "[[reply: Before]]")
    run_reply(exchange.reply)
    edited = services.edit_last_user_message(
        message=exchange.user_message, user=alice, text="[[reply: After]]"
    )
    reply = run_reply(edited.reply)
    assert reply.text == "After"
    assert [m.text for m in conversation.messages.order_by("position")] == [
        "[[reply: After]]",
        "After",
    ]


def test_it_generates_a_title_after_the_first_reply(
    conversation: Conversation, alice: User
) -> None:
    run_reply(send(conversation, alice, "Plan the product launch [[reply: Sure.]]").reply)
    conversation.refresh_from_db()
    assert conversation.title == "Plan the product launch"
    assert conversation.title_job_id is not None
    from product.jobs import services as job_services

    assert conversation.title_job_id is not None
    job_services.run_job(conversation.title_job_id)
    conversation.refresh_from_db()
    assert conversation.title_generated
    # The dev model answers the title prompt like a model would: a title, not its echo reply.
    assert conversation.title == "Plan the Product Launch"


@pytest.mark.parametrize(
    ("answer", "title"),
    [
        ("Echo: Explain queues slowly\n\nHere is a short answer.", "Explain queues slowly"),
        ("Plan: Use `celery` with **Redis**", "Plan: Use celery with Redis"),
        ("Title: *Spring launch* plan", "Spring launch plan"),
        ("## “Queues in [Celery](https://docs.celeryq.dev)”", "Queues in Celery"),
        ("> Title: 'Rename snake_case fields'", "Rename snake_case fields"),
        ("**Title:** Echo: _Budget_ review", "Budget review"),
        ("\n\n  ", ""),
    ],
)
def test_it_cleans_markdown_and_labels_off_a_title(answer: str, title: str) -> None:
    assert services._clean_title(answer) == title


def test_it_keeps_a_title_a_person_set(conversation: Conversation, alice: User) -> None:
    run_reply(send(conversation, alice, "Hello [[reply: Hi]]").reply)
    conversation.refresh_from_db()
    services.rename_conversation(conversation=conversation, title="Mine")
    from product.jobs import services as job_services

    assert conversation.title_job_id is not None
    job_services.run_job(conversation.title_job_id)
    conversation.refresh_from_db()
    assert conversation.title == "Mine"


def test_it_fails_a_reply_whose_job_was_given_up(conversation: Conversation, alice: User) -> None:
    reply = send(conversation, alice, "hello").reply
    assert reply.job_id is not None
    Job.objects.filter(pk=reply.job_id).update(
        status=Job.Status.FAILED, error_code="worker_lost", error_message="The worker stopped."
    )
    reply = services.reconcile_reply(message=reply)
    assert reply.status == Message.Status.FAILED
    assert reply.error_message == "The worker stopped."


def test_it_deletes_a_conversation_and_stops_its_reply(
    conversation: Conversation, alice: User
) -> None:
    reply = send(conversation, alice, "hello").reply
    services.delete_conversation(conversation=conversation, user=alice)
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert reply.job_id is not None
    assert Job.objects.get(pk=reply.job_id).status == Job.Status.CANCELLED
