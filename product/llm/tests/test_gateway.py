"""The gateway against the dev model server, over real HTTP: one ledger row per attempt."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.devmodel.server import embed_text
from product.llm import gateway, quotas
from product.llm.catalog import cost_usd
from product.llm.errors import InputTooLarge, ProviderError, QuotaExceeded
from product.llm.models import BudgetReservation, LLMCall
from product.llm.tokens import count_message_tokens


def user_says(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def ask(alice: User, acme: Workspace, text: str, **kwargs: Any) -> gateway.ChatResult:
    return gateway.complete(
        workspace=acme,
        user=alice,
        feature="test",
        messages=user_says(text),
        prompt_name="test",
        **kwargs,
    )


def stream_to_list(
    alice: User, acme: Workspace, text: str, **kwargs: Any
) -> tuple[gateway.ChatResult, list[str]]:
    deltas: list[str] = []
    result = gateway.stream(
        workspace=acme,
        user=alice,
        feature="test",
        messages=user_says(text),
        prompt_name="test",
        on_delta=deltas.append,
        **kwargs,
    )
    return result, deltas


def test_it_completes_and_records_one_ledger_row(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    result = ask(alice, acme, "[[reply: Hello there]] [[cached: 4]]", prompt_version="3")
    assert result.text == "Hello there" and result.finish_reason == "stop"
    call = LLMCall.objects.get()
    assert call.id == result.call_id
    assert call.status == LLMCall.Status.SUCCEEDED
    assert (call.workspace, call.user, call.feature, call.model) == (
        acme,
        alice,
        "test",
        "keel-dev-small",
    )
    assert (call.prompt_name, call.prompt_version, call.job_id) == ("test", "3", None)
    assert call.output_tokens == 2 and call.input_tokens > 4 and call.cached_tokens == 4
    assert not call.tokens_estimated and call.attempt == 1 and call.retry_of is None
    assert call.provider_request_id.startswith("req_")
    assert call.cost_usd == cost_usd("keel-dev-small", call.input_tokens, 4, 2)
    assert result.cost_usd == call.cost_usd and call.latency_ms is not None


@dataclass
class JobLinkForTests:
    """What product.jobs.registry.JobContext gives the gateway: a job id, a place for charges."""

    job_id: uuid.UUID
    charges: list[gateway.PendingCharge] = field(default_factory=list)
    calls: list[LLMCall] = field(default_factory=list)

    def defer_charge(self, charge: gateway.PendingCharge) -> None:
        self.charges.append(charge)

    def note_call(self, call: LLMCall) -> None:
        self.calls.append(call)


@pytest.mark.parametrize("streamed", [False, True])
def test_it_hands_the_answers_charge_to_the_job(
    devmodel_llm: str, settings: Any, alice: User, acme: Workspace, streamed: bool
) -> None:
    from product.jobs.models import Job

    settings.LLM_MAX_RETRIES = 1
    link = JobLinkForTests(Job.objects.create(workspace=acme, kind="test.echo").pk)
    reservation = quotas.reserve(workspace=acme, user=alice, feature="test", messages=[])
    text = f"[[fail_times: 1 status=503 key=deferred-{uuid.uuid4().hex}]] [[reply: Hi]]"
    if streamed:
        result, _deltas = stream_to_list(alice, acme, text, reservation=reservation, job=link)
    else:
        result = ask(alice, acme, text, reservation=reservation, job=link)

    # The failed attempt is ledgered at once; the answer waits for the job's ending transaction.
    failed = LLMCall.objects.get()
    assert (failed.status, failed.job_id) == (LLMCall.Status.FAILED, link.job_id)
    reservation.refresh_from_db()
    assert reservation.status == BudgetReservation.Status.RESERVED
    [charge] = link.charges
    assert [call.pk for call in charge.calls] == [result.call_id]
    # Every attempt is noted to the job as it is made, the deferred answer too.
    assert [call.pk for call in link.calls] == [failed.pk, result.call_id]

    charge.write()
    answer = LLMCall.objects.get(pk=result.call_id)
    assert (answer.status, answer.job_id, answer.retry_of) == (
        LLMCall.Status.SUCCEEDED,
        link.job_id,
        failed,
    )
    reservation.refresh_from_db()
    assert reservation.status == BudgetReservation.Status.SETTLED
    assert reservation.actual_usd == answer.cost_usd


def test_a_reservation_it_took_inside_a_job_names_the_job_and_is_released_on_failure(
    devmodel_llm: str, settings: Any, alice: User, acme: Workspace
) -> None:
    from product.jobs.models import Job

    settings.LLM_MAX_RETRIES = 0
    link = JobLinkForTests(Job.objects.create(workspace=acme, kind="test.echo").pk)
    with pytest.raises(ProviderError):
        ask(alice, acme, f"[[fail_times: 1 status=400 key=owned-{uuid.uuid4().hex}]]", job=link)
    # Nothing but the gateway knew that reservation: a failed call gives it back, in a job too.
    failed = BudgetReservation.objects.get()
    assert failed.status == BudgetReservation.Status.RELEASED
    assert failed.job_id == link.job_id
    assert [call.status for call in link.calls] == [LLMCall.Status.FAILED]

    result = ask(alice, acme, "[[reply: Hi]]", job=link)
    held = BudgetReservation.objects.get(status=BudgetReservation.Status.RESERVED)
    assert [call.pk for call in link.calls][-1] == result.call_id
    # The attempt dies before its charge is written: the next attempt releases what it held.
    assert gateway.release_job_reservations(link.job_id, created_before=held.created_at) == 0
    assert gateway.release_job_reservations(link.job_id, created_before=timezone.now()) == 1
    held.refresh_from_db()
    assert held.status == BudgetReservation.Status.RELEASED


def test_it_always_sends_max_tokens(
    devmodel_llm: str, settings: Any, alice: User, acme: Workspace
) -> None:
    settings.LLM_MAX_OUTPUT_TOKENS = 5
    result = ask(alice, acme, "[[tokens: 50]]")
    assert result.finish_reason == "length" and result.output_tokens <= 5


def test_the_fields_it_sends_past_the_sdks_walk_are_what_the_walk_would_send() -> None:
    # The SDK's request transform (private, so read here only) would return the same body; a
    # future SDK that adds an alias or a format to a message or tool field fails this test.
    from openai._utils._transform import maybe_transform
    from openai.types.chat.completion_create_params import CompletionCreateParamsStreaming

    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "What time is it?"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "current_time", "arguments": '{"zone": "UTC"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"now": "12:00"}'},
        {"role": "user", "content": "Thanks", "name": "alice"},
    ]
    tools = [
        {
            "type": "function",
            "function": {
                "name": "current_time",
                "description": "The time now.",
                "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}},
                "strict": True,
            },
        }
    ]
    fields = gateway.request_fields("m", messages, {"tools": tools, "temperature": 0})
    unwalked = fields.pop("extra_body")
    sent = {**fields, **unwalked}

    assert sent == {"model": "m", "messages": messages, "tools": tools, "temperature": 0}
    assert maybe_transform(sent, CompletionCreateParamsStreaming) == sent


def test_it_flags_an_unknown_price_instead_of_charging_zero(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    result = ask(alice, acme, "[[reply: hi]]", model="mystery-model")
    call = LLMCall.objects.get()
    assert result.cost_usd is None and call.cost_usd is None and call.cost_unknown
    reservation = BudgetReservation.objects.get()
    assert reservation.status == BudgetReservation.Status.SETTLED and reservation.actual_usd is None


def test_it_reads_usage_from_a_stream(devmodel_llm: str, alice: User, acme: Workspace) -> None:
    result, deltas = stream_to_list(alice, acme, "[[reply: One two three]] [[ttft_ms: 50]]")
    assert "".join(deltas) == "One two three" == result.text
    call = LLMCall.objects.get()
    assert call.status == LLMCall.Status.SUCCEEDED and not call.tokens_estimated
    assert call.output_tokens == 3 and call.ttft_ms is not None and call.ttft_ms >= 50
    assert result.ttft_ms == call.ttft_ms and not result.stopped


def test_it_estimates_tokens_of_a_cut_stream(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    text = "[[tokens: 30]] [[cut_after: 5]]"
    with pytest.raises(ProviderError, match="cut off"):
        stream_to_list(alice, acme, text)
    call = LLMCall.objects.get()  # deltas reached the caller: not retried
    assert call.status == LLMCall.Status.INCOMPLETE and call.tokens_estimated
    # Charged from the exact tokenizer, not the cheap estimate the reservation used.
    assert call.output_tokens == 5 and call.input_tokens == count_message_tokens(user_says(text))
    assert call.cost_usd is not None
    assert BudgetReservation.objects.get().status == BudgetReservation.Status.SETTLED


def test_it_estimates_tokens_when_a_finished_stream_sends_no_usage(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    result, _ = stream_to_list(alice, acme, "[[tokens: 8]] [[no_usage]]")
    call = LLMCall.objects.get()
    assert call.tokens_estimated and call.status == LLMCall.Status.INCOMPLETE
    assert result.output_tokens == 8 and result.finish_reason == "stop"


def test_it_retries_a_stream_cut_cleanly_before_any_delta(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    with pytest.raises(ProviderError):
        stream_to_list(alice, acme, "[[tokens: 8]] [[cut_after: 0 clean]]")
    assert LLMCall.objects.filter(status=LLMCall.Status.FAILED).count() == 3


def test_it_stops_a_stream_when_asked(devmodel_llm: str, alice: User, acme: Workspace) -> None:
    seen: list[str] = []
    result = gateway.stream(
        workspace=acme,
        user=alice,
        feature="test",
        messages=user_says("[[tokens: 40]] [[delay_ms: 5]]"),
        prompt_name="test",
        on_delta=seen.append,
        should_stop=lambda: len(seen) >= 3,
    )
    assert result.stopped and result.text == "".join(seen) and len(seen) == 3
    call = LLMCall.objects.get()
    assert call.status == LLMCall.Status.CANCELLED and call.tokens_estimated
    assert call.output_tokens == result.output_tokens > 0


def test_it_retries_honouring_retry_after(devmodel_llm: str, alice: User, acme: Workspace) -> None:
    key = uuid.uuid4().hex
    started = time.monotonic()
    result = ask(
        alice, acme, f"[[fail_times: 2 status=429 retry_after=0.3 key={key}]] [[reply: ok]]"
    )
    elapsed = time.monotonic() - started
    assert result.text == "ok"
    assert elapsed >= 0.6  # waited the provider's Retry-After twice
    calls = list(LLMCall.objects.order_by("attempt"))
    assert [c.status for c in calls] == ["failed", "failed", "succeeded"]
    assert [c.attempt for c in calls] == [1, 2, 3]
    assert calls[1].retry_of == calls[0] and calls[2].retry_of == calls[1]
    assert "HTTP 429" in calls[0].error and calls[0].cost_usd == Decimal("0")


def test_it_raises_provider_error_with_a_long_retry_after(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    with pytest.raises(ProviderError) as caught:
        ask(alice, acme, "[[error: 429 retry_after=120]]")
    assert caught.value.retry_after == 120 and caught.value.code == "provider_busy"
    assert "120 seconds" in caught.value.message
    assert LLMCall.objects.count() == 1  # not waited, not retried in-process
    assert BudgetReservation.objects.get().status == BudgetReservation.Status.RELEASED


def test_it_gives_up_after_the_configured_retries(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    with pytest.raises(ProviderError) as caught:
        ask(alice, acme, "[[error: 503]]")
    assert caught.value.retry_after is None
    assert caught.value.message == (
        "The AI model is unavailable right now. Please try again in a moment."
    )
    assert LLMCall.objects.filter(status=LLMCall.Status.FAILED).count() == 3


def test_it_falls_back_and_links_the_attempts(
    devmodel_llm: str, settings: Any, alice: User, acme: Workspace
) -> None:
    settings.LLM_FALLBACK_MODEL = "keel-dev-large"
    result = ask(alice, acme, "[[error: 503 model=keel-dev-small]] [[reply: from the big one]]")
    assert result.text == "from the big one" and result.model == "keel-dev-large"
    calls = list(LLMCall.objects.order_by("attempt"))
    assert [c.model for c in calls] == ["keel-dev-small"] * 3 + ["keel-dev-large"]
    assert calls[3].retry_of == calls[2] and calls[3].status == LLMCall.Status.SUCCEEDED
    assert result.call_id == calls[3].id


def test_it_does_not_retry_a_client_error(devmodel_llm: str, alice: User, acme: Workspace) -> None:
    with pytest.raises(ProviderError) as caught:
        ask(alice, acme, "[[expect: text that is not there]]")
    assert "rejected" in caught.value.message
    assert "does not contain" in caught.value.message
    assert LLMCall.objects.count() == 1


def test_it_times_out_and_retries(
    devmodel_llm: str, settings: Any, alice: User, acme: Workspace
) -> None:
    settings.LLM_TIMEOUT_S = 0.3
    settings.LLM_MAX_RETRIES = 1
    started = time.monotonic()
    with pytest.raises(ProviderError):
        ask(alice, acme, "[[hang]]")
    assert time.monotonic() - started < 3
    calls = LLMCall.objects.all()
    assert len(calls) == 2 and all("timeout" in c.error for c in calls)


def test_it_retries_a_stream_that_failed_before_any_delta(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    key = uuid.uuid4().hex
    result, deltas = stream_to_list(
        alice, acme, f"[[fail_times: 1 key={key}]] [[reply: second time]]"
    )
    assert "".join(deltas) == "second time" == result.text
    assert LLMCall.objects.count() == 2


def test_it_caps_input_before_any_call(
    devmodel_llm: str, settings: Any, alice: User, acme: Workspace
) -> None:
    settings.LLM_MAX_INPUT_TOKENS = 50
    with pytest.raises(InputTooLarge, match="too long"):
        ask(alice, acme, "word " * 200)
    assert not LLMCall.objects.exists() and not BudgetReservation.objects.exists()


def test_it_redacts_secrets_from_stored_errors(
    devmodel_llm: str, settings: Any, alice: User, acme: Workspace
) -> None:
    settings.LLM_API_KEY = "my-provider-secret-123"
    settings.LLM_BASE_URL = devmodel_llm
    with pytest.raises(ProviderError) as caught:
        ask(
            alice,
            acme,
            "[[error: 400 message=bad-key-sk-abcdef1234567890-and-keel_live_abcd1234_secret-and-my-provider-secret-123]]",
        )
    stored = LLMCall.objects.get().error
    for secret in ["sk-abcdef1234567890", "keel_live_abcd1234_secret", "my-provider-secret-123"]:
        assert secret not in stored and secret not in caught.value.message
    assert "[redacted]" in stored
    assert gateway.redact("Authorization: Bearer abc.def") == "Authorization: [redacted]"


def test_it_settles_the_callers_reservation(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    reservation = quotas.reserve(
        workspace=acme, user=alice, feature="test", messages=user_says("hi")
    )
    result = ask(alice, acme, "[[reply: hi]]", reservation=reservation)
    reservation.refresh_from_db()
    assert reservation.status == BudgetReservation.Status.SETTLED
    assert reservation.actual_usd == result.cost_usd
    assert BudgetReservation.objects.count() == 1


def test_it_embeds_texts_and_records_the_call(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    vectors = gateway.embed(
        workspace=acme, user=alice, feature="search", texts=["the cat", "a dog"]
    )
    assert len(vectors) == 2 and len(vectors[0]) == 256
    again = gateway.embed(workspace=acme, user=alice, feature="search", texts=["the cat"])
    assert again[0] == pytest.approx(vectors[0])
    # Asked as base64 and decoded: the dev server's own vector, to float32 precision.
    assert vectors[0] == pytest.approx(embed_text("the cat", 256), abs=1e-6)
    call = LLMCall.objects.filter(feature="search").first()
    assert call is not None and call.model == "keel-dev-embed" and call.input_tokens > 0
    assert call.cost_usd is not None and not call.cost_unknown


def test_it_times_out_a_stream_that_never_starts(
    devmodel_llm: str, settings: Any, alice: User, acme: Workspace
) -> None:
    settings.LLM_TIMEOUT_S = 0.3
    settings.LLM_MAX_RETRIES = 0
    with pytest.raises(ProviderError):
        stream_to_list(alice, acme, "[[hang]]")
    assert LLMCall.objects.get().status == LLMCall.Status.FAILED


def test_it_records_the_call_when_the_callers_callback_fails(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    def explode(delta: str) -> None:
        raise RuntimeError("redis is down")

    with pytest.raises(RuntimeError):
        gateway.stream(
            workspace=acme,
            user=alice,
            feature="test",
            messages=user_says("[[reply: hello]]"),
            prompt_name="test",
            on_delta=explode,
        )
    call = LLMCall.objects.get()
    assert call.status == LLMCall.Status.INCOMPLETE and "redis is down" in call.error
    assert BudgetReservation.objects.get().status == BudgetReservation.Status.SETTLED


def test_it_refuses_over_budget_before_any_call(
    devmodel_llm: str, settings: Any, alice: User, acme: Workspace
) -> None:
    settings.LLM_WORKSPACE_MONTHLY_BUDGET_USD = Decimal("0")
    with pytest.raises(QuotaExceeded):
        ask(alice, acme, "[[reply: hi]]")
    assert not LLMCall.objects.exists()


def test_it_prefers_retry_after_ms(devmodel_llm: str, alice: User, acme: Workspace) -> None:
    key = uuid.uuid4().hex
    started = time.monotonic()
    result = ask(
        alice, acme, f"[[fail_times: 1 status=503 retry_after=30 retry_after_ms=200 key={key}]]"
    )
    assert 0.2 <= time.monotonic() - started < 5
    assert result.text and LLMCall.objects.count() == 2


def test_it_releases_the_callers_reservation_when_the_prompt_grew_too_large(
    devmodel_llm: str, settings: Any, alice: User, acme: Workspace
) -> None:
    reservation = quotas.reserve(
        workspace=acme, user=alice, feature="test", messages=user_says("hi")
    )
    settings.LLM_MAX_INPUT_TOKENS = 50
    with pytest.raises(InputTooLarge):
        ask(alice, acme, "word " * 200, reservation=reservation)
    reservation.refresh_from_db()
    assert reservation.status == BudgetReservation.Status.RELEASED
    assert not LLMCall.objects.exists()


def test_it_charges_nothing_for_a_failed_attempt_even_without_a_price(
    devmodel_llm: str, alice: User, acme: Workspace
) -> None:
    with pytest.raises(ProviderError):
        ask(alice, acme, "[[error: 400]]", model="mystery-model")
    call = LLMCall.objects.get()
    assert call.cost_usd == Decimal("0") and not call.cost_unknown
    assert BudgetReservation.objects.get().status == BudgetReservation.Status.RELEASED
