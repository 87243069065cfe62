"""The model gateway: the one place model calls are made.

`complete`, `stream` and `embed` call an OpenAI-compatible provider (settings.LLM_BASE_URL) with the
`openai` SDK. The SDK's own retries are off (`max_retries=0`): the gateway retries itself so that
every attempt writes one `LLMCall` ledger row, linked to the attempt before it by `retry_of`.

Retry policy: 408/409/429/5xx, timeouts and connection errors are retried up to LLM_MAX_RETRIES times
with exponential backoff and jitter, honouring `retry-after-ms`/`retry-after` when it is at most
LLM_RETRY_MAX_WAIT_S. A longer Retry-After is not waited out in a worker thread: ProviderError
carries it so the Celery task retries with that countdown. Other 4xx are not retried. When the
retries are spent, LLM_FALLBACK_MODEL (if set and different) gets one attempt.

A stream that already handed deltas to the caller is never retried (the caller would see the text
twice): it is recorded as incomplete, with estimated tokens, and reported as a ProviderError.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import logging
import math
import random
import re
import threading
import time
import uuid
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import httpx
import httpx2
import openai
from django.conf import settings
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.core import metrics, tracing
from product.core.db import release_connection
from product.llm import quotas
from product.llm.catalog import cost_usd
from product.llm.errors import InputTooLarge, ProviderError
from product.llm.models import BudgetReservation, LLMCall
from product.llm.tokens import count_message_tokens, count_tokens

T = TypeVar("T")
logger = logging.getLogger(__name__)
RETRYABLE_STATUSES = {408, 409, 429}
# The SDK wraps transport errors, but a stream read can surface them raw (httpx2 is its stack).
CALL_ERRORS = (openai.APIError, httpx.TransportError, httpx2.TransportError)
SECRET_PATTERNS = [
    re.compile(r"sk-[A-Za-z0-9_\-]{6,}"),
    # Keel's own API keys under any typed prefix, present or past: an 8-character lookup prefix,
    # `_`, and the 43-character secret (product/apikeys/services.py) is what matters to hide.
    re.compile(r"[a-z0-9]{8}_[A-Za-z0-9_\-]{43,}"),
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._\-~+/=]+"),
]


@functools.cache
def _typed_key_pattern(typed_prefix: str) -> re.Pattern[str]:
    """Anything that starts like one of our keys today (settings.API_KEY_PREFIX), however short."""
    return re.compile(re.escape(typed_prefix) + r"[A-Za-z0-9_\-]+")


@dataclass
class ChatResult:
    text: str
    model: str
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    cost_usd: Decimal | None
    latency_ms: int
    ttft_ms: int | None
    call_id: uuid.UUID
    finish_reason: str | None
    stopped: bool = False
    # The functions the model asked to call instead of (or after) writing text (tool_loop.py).
    tool_calls: list[ToolCall] = field(default_factory=list)


@dataclass(frozen=True)
class ToolCall:
    """One function call the model asked for: `arguments` is its JSON text, unparsed and unchecked."""

    id: str
    name: str
    arguments: str

    def as_message_part(self) -> dict[str, Any]:
        """The call as the assistant message that asked for it carries it (OpenAI's wire format)."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


# --- the client -----------------------------------------------------------------------------

_clients: dict[tuple[str, str, float, float], openai.OpenAI] = {}
_clients_lock = threading.Lock()


def get_client() -> openai.OpenAI:
    """One client (one connection pool) per process and configuration, shared by all threads."""
    key = (
        settings.LLM_BASE_URL,
        settings.LLM_API_KEY or "devmodel",
        float(settings.LLM_TIMEOUT_S),
        float(settings.LLM_CONNECT_TIMEOUT_S),
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = openai.OpenAI(
                base_url=key[0],
                api_key=key[1],
                timeout=openai.Timeout(key[2], connect=key[3]),
                max_retries=0,
            )
            _clients[key] = client
        return client


# --- helpers --------------------------------------------------------------------------------


def redact(text: str) -> str:
    """Remove API keys and bearer tokens from text we store or show."""
    for pattern in [_typed_key_pattern(settings.API_KEY_PREFIX), *SECRET_PATTERNS]:
        text = pattern.sub("[redacted]", text)
    if settings.LLM_API_KEY:
        text = text.replace(settings.LLM_API_KEY, "[redacted]")
    return text


def _retry_after(headers: Mapping[str, str] | httpx.Headers | None) -> float | None:
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(str(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max((parsed - timezone.now()).total_seconds(), 0.0)


def _backoff(retry: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return retry_after
    base = float(settings.LLM_RETRY_BACKOFF_S)
    delay = min(base * 2.0**retry, 8.0)
    return delay * random.uniform(0.75, 1.0)  # noqa: S311 (jitter, not security)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class _AttemptFailed(Exception):  # noqa: N818 (internal control flow)
    def __init__(
        self,
        call: LLMCall,
        *,
        retryable: bool,
        message: str,
        retry_after: float | None = None,
        provider_message: str = "",
    ) -> None:
        super().__init__(message)
        self.provider_message = provider_message or message
        self.call = call
        self.retryable = retryable
        self.message = message
        self.retry_after = retry_after


class JobLink(Protocol):
    """The job a call is made for; `product.jobs.registry.JobContext` is the one implementation.

    (A protocol, because llm sits below jobs and must not import it.) Every attempt's ledger row
    names `job_id`. The row of the attempt that answered, and the settlement of the reservation,
    the gateway does not write: it hands them over with `defer_charge`, and the jobs machinery
    writes them in the one transaction that also writes the feature's outcome and ends the job.
    A worker killed before that commit leaves no charge, so the re-run is the only one charged.
    """

    @property
    def job_id(self) -> uuid.UUID: ...

    def defer_charge(self, charge: PendingCharge) -> None: ...

    def note_call(self, call: LLMCall) -> None:
        """Every ledger row made for the job, as it is made (written at once or deferred)."""
        ...


@dataclass
class _Context:
    workspace: Workspace
    user: User | None
    feature: str
    prompt_name: str
    prompt_version: str
    job: JobLink | None
    # What is sent: kept on each attempt's row for the trace view, if the workspace keeps bodies.
    messages: Sequence[Mapping[str, Any]] = ()
    calls: list[LLMCall] = field(default_factory=list)
    pending: list[LLMCall] = field(default_factory=list)
    operation: str = "chat"  # or "embeddings": the metrics' label (product/core/metrics.py)

    def record(
        self,
        *,
        answer: bool = False,
        response_text: str | None = None,
        response_id: str = "",
        finish_reason: str | None = None,
        **fields: Any,
    ) -> LLMCall:
        """One ledger row. `answer`: the attempt the caller gets back, deferred for a job.

        The row takes its place in the trace from the attempt's span (`_drive` opens one), and
        the span gets the OpenTelemetry GenAI attributes of what the provider answered."""
        cost = fields.pop("cost", None)
        step = tracing.current_span()
        call = LLMCall(
            workspace=self.workspace,
            user=self.user,
            feature=self.feature,
            prompt_name=self.prompt_name,
            prompt_version=self.prompt_version,
            job_id=self.job.job_id if self.job is not None else None,
            cost_usd=cost,
            **fields,
            **_bodies(self.workspace, self.messages, response_text),
        )
        if step is not None and step.trace_id:
            call.trace_id, call.span_id = step.trace_id, step.span_id
            call.parent_span_id = step.parent_span_id
            tracing.keep(
                workspace_id=self.workspace.pk, user_id=self.user.pk if self.user else None
            )
            tracing.note_call(
                input_tokens=call.input_tokens,
                output_tokens=call.output_tokens,
                cost_usd=call.cost_usd,
                cost_unknown=call.cost_unknown,
            )
        if step is not None:
            _describe_attempt(step, call, response_id=response_id, finish_reason=finish_reason)
        metrics.observe_model_call(
            model=call.model,
            operation=self.operation,
            status=call.status,
            latency_ms=call.latency_ms,
            input_tokens=call.input_tokens,
            output_tokens=call.output_tokens,
            ttft_ms=call.ttft_ms,
        )
        if answer and self.job is not None:
            self.pending.append(call)
        else:
            call.save(force_insert=True)
        self.calls.append(call)
        if self.job is not None:
            self.job.note_call(call)
        return call


def _bodies(
    workspace: Workspace, messages: Sequence[Mapping[str, Any]], response_text: str | None
) -> dict[str, Any]:
    """The row's body columns: sizes always; the redacted bodies if the workspace keeps them."""
    sent = [{"role": str(m.get("role", "")), "content": redact(_message_text(m))} for m in messages]
    fields: dict[str, Any] = {
        "request_chars": sum(len(m["content"]) for m in sent),
        "response_chars": None if response_text is None else len(response_text),
    }
    if workspace.stores_model_bodies:
        fields["request_messages"] = sent
        fields["response_text"] = None if response_text is None else redact(response_text)
    return fields


def _message_text(message: Mapping[str, Any]) -> str:
    """A message as the trace shows it: its text, and the calls an assistant turn asked for."""
    text = str(message.get("content") or "")
    functions = [call.get("function") or {} for call in message.get("tool_calls") or ()]
    calls = [
        f"-> {function.get('name', '')}({function.get('arguments', '')})" for function in functions
    ]
    return "\n".join([text, *calls]) if text and calls else (text or "\n".join(calls))


def _calls_text(text: str, calls: Sequence[ToolCall]) -> str:
    """An answer as the ledger keeps it: the text, then each call it asked for."""
    return _message_text(
        {"content": text, "tool_calls": [call.as_message_part() for call in calls]}
    )


def _describe_attempt(
    step: tracing.ActiveSpan, call: LLMCall, *, response_id: str, finish_reason: str | None
) -> None:
    """OpenTelemetry GenAI semantic conventions (gen_ai.*), plus Keel's own numbers (keel.*)."""
    step.update(
        {
            "gen_ai.response.model": call.model,
            "gen_ai.usage.input_tokens": call.input_tokens,
            "gen_ai.usage.output_tokens": call.output_tokens,
            "keel.llm_call.id": str(call.id),
            "keel.feature": call.feature,
            "keel.attempt": call.attempt,
            "keel.cost_usd": float(call.cost_usd) if call.cost_usd is not None else -1.0,
        }
    )
    if response_id:
        step.set("gen_ai.response.id", response_id)
    if finish_reason:
        step.set("gen_ai.response.finish_reasons", [finish_reason])
    # A call whose provider only left out the usage (INCOMPLETE, no error) answered fine.
    if call.status == LLMCall.Status.FAILED or call.error:
        step.fail(call.error or call.status)
    elif call.status == LLMCall.Status.CANCELLED:
        step.fail("stopped by the user", status=tracing.CANCELLED)


@dataclass
class PendingCharge:
    """The answering attempt's ledger row and the reservation's settlement, not written yet."""

    _ctx: _Context
    reservation: BudgetReservation

    @property
    def calls(self) -> list[LLMCall]:
        return list(self._ctx.pending)

    def write(self, *, settle: bool = True) -> None:
        """Insert the row(s) and settle, inside the caller's transaction (call once per commit).

        `settle=False` is for an attempt that lost its job to another one: its call happened and
        is ledgered, but the reservation belongs to the attempt that holds the job.
        """
        for call in self._ctx.pending:
            call.save(force_insert=True)
        if settle:
            _settle(self.reservation, self._ctx)


def _classify(exc: Exception) -> tuple[bool, str, float | None, str]:
    """(retryable, stored error text, retry_after, provider request id) for an SDK/HTTP error."""
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        retryable = status in RETRYABLE_STATUSES or status >= 500
        headers = exc.response.headers if exc.response is not None else None
        # Like the SDK, let the provider overrule the status: `x-should-retry: true|false`.
        should_retry = (headers.get("x-should-retry") if headers else None) or ""
        if should_retry.lower() in {"true", "false"}:
            retryable = should_retry.lower() == "true"
        request_id = (headers.get("x-request-id") if headers else None) or ""
        message = exc.message if isinstance(exc.message, str) else str(exc)
        return retryable, f"HTTP {status}: {message}", _retry_after(headers), request_id
    if isinstance(exc, openai.APITimeoutError):
        return True, "timeout: the provider did not answer in time", None, ""
    if isinstance(exc, (openai.APIConnectionError, httpx.TransportError, httpx2.TransportError)):
        return True, f"connection error: {exc}", None, ""
    if isinstance(exc, openai.APIError):  # an error event in the middle of a stream
        return True, f"stream error: {exc.message}", None, ""
    return False, f"{type(exc).__name__}: {exc}", None, ""


def _cost(model: str, input_tokens: int, cached: int, output: int) -> tuple[Decimal | None, bool]:
    cost = cost_usd(model, input_tokens, cached, output)
    return cost, cost is None


def _usage_numbers(usage: Any) -> tuple[int, int, int]:
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) or 0
    return int(usage.prompt_tokens or 0), int(cached), int(usage.completion_tokens or 0)


def _fail(
    ctx: _Context,
    *,
    model: str,
    attempt: int,
    retry_of: LLMCall | None,
    started: float,
    exc: Exception,
    used: tuple[int, int] | None = None,
) -> _AttemptFailed:
    """Ledger a failed attempt; `used`: (input, output) tokens it consumed before it broke off
    (a stream cut in the middle of tool calls), estimated and charged; otherwise it cost nothing."""
    retryable, error, retry_after, request_id = _classify(exc)
    spent: dict[str, Any] = {"cost": Decimal(0), "cost_unknown": False}
    if used is not None:
        cost, unknown = _cost(model, used[0], 0, used[1])
        spent = {
            "cost": cost,
            "cost_unknown": unknown,
            "input_tokens": used[0],
            "output_tokens": used[1],
            "tokens_estimated": True,
        }
    call = ctx.record(
        model=model,
        status=LLMCall.Status.FAILED if used is None else LLMCall.Status.INCOMPLETE,
        error=redact(error)[:2000],
        latency_ms=_elapsed_ms(started),
        provider_request_id=request_id,
        attempt=attempt,
        retry_of=retry_of,
        **spent,
    )
    logger.info("llm attempt %d on %s failed: %s", attempt, model, redact(error))
    provider_message = exc.message if isinstance(exc, openai.APIError) else str(exc)
    return _AttemptFailed(
        call,
        retryable=retryable,
        message=redact(error),
        retry_after=retry_after,
        provider_message=redact(str(provider_message)),
    )


# --- the retry driver -----------------------------------------------------------------------


def _drive(
    primary: str,
    run: Callable[[str, int, LLMCall | None], T],
    *,
    fallback: bool = True,
    operation: str = "chat",
    request: Mapping[str, Any] | None = None,
) -> T:
    models = [primary]
    if fallback and settings.LLM_FALLBACK_MODEL and primary != settings.LLM_FALLBACK_MODEL:
        models.append(settings.LLM_FALLBACK_MODEL)
    wait_cap = settings.LLM_RETRY_MAX_WAIT_S
    previous: LLMCall | None = None
    attempt = 0
    last: _AttemptFailed | None = None
    for index, model in enumerate(models):
        tries = settings.LLM_MAX_RETRIES + 1 if index == 0 else 1
        for retry in range(tries):
            attempt += 1
            # No pooled connection is held while the provider thinks (a reservation or a failed
            # attempt's ledger row opened one): a run with 200 calls in flight needs 200 threads,
            # not 200 connections. Inside a transaction this does nothing.
            release_connection()
            try:
                # One span per attempt, named and described as the GenAI conventions say; its
                # ids go on the attempt's ledger row, which is the trace's record of it.
                with tracing.span(
                    tracing.EMBEDDING if operation == "embeddings" else tracing.GENERATION,
                    f"{operation} {model}",
                    {
                        "gen_ai.operation.name": operation,
                        "gen_ai.provider.name": "openai",
                        "gen_ai.request.model": model,
                        **(request or {}),
                    },
                    persist=False,
                ):
                    return metrics.in_flight(run, model, attempt, previous)
            except _AttemptFailed as failure:
                previous, last = failure.call, failure
                if not failure.retryable:
                    raise _provider_error(
                        failure,
                        f"The AI model rejected the request: {failure.provider_message}",
                        code="provider_rejected",
                    ) from None
                if failure.retry_after is not None and failure.retry_after > wait_cap:
                    # Too long to hold a worker thread: the caller re-queues with this countdown.
                    raise _provider_error(
                        failure,
                        "The AI provider is busy. We will try again in "
                        f"{math.ceil(failure.retry_after)} seconds.",
                        code="provider_busy",
                        retry_after=failure.retry_after,
                    ) from None
                if retry + 1 < tries:
                    time.sleep(_backoff(retry, failure.retry_after))
    assert last is not None
    logger.warning("llm call failed after %d attempts: %s", attempt, last.message)
    raise _provider_error(
        last, "The AI model is unavailable right now. Please try again in a moment."
    ) from None


def _provider_error(
    failure: _AttemptFailed,
    message: str,
    *,
    code: str | None = None,
    retry_after: float | None = None,
) -> ProviderError:
    error = ProviderError(message.rstrip(".") + ".", code=code, retry_after=retry_after)
    error.call_id = failure.call.id
    return error


def _settle(reservation: BudgetReservation, ctx: _Context) -> None:
    charged = [
        call
        for call in ctx.calls
        if call.status != LLMCall.Status.FAILED and (call.input_tokens or call.output_tokens)
    ]
    if not charged:
        quotas.release(reservation)
        return
    if any(call.cost_unknown for call in charged):
        quotas.settle(reservation, None)
        return
    quotas.settle(reservation, sum((call.cost_usd or Decimal(0) for call in charged), Decimal(0)))


def release_job_reservations(job_id: uuid.UUID, *, created_before: Any) -> int:
    """Release what the gateway reserved for calls of `job_id` that were never charged: an
    attempt killed mid-call leaves them held, and no one else knows them. Only reservations made
    before `created_before` (the current attempt's start): its own are live."""
    released = BudgetReservation.objects.filter(
        job_id=job_id,
        status=BudgetReservation.Status.RESERVED,
        created_at__lt=created_before,
    ).update(status=BudgetReservation.Status.RELEASED, settled_at=timezone.now())
    if released:
        logger.info("job %s: released %d reservations of a stopped attempt", job_id, released)
    return released


def _charge(
    reservation: BudgetReservation, ctx: _Context, drive: Callable[[], T], *, owned: bool
) -> T:
    """Run the attempts; settle now, or hand the answer's charge to the job (see JobLink).

    `owned`: the gateway took the reservation itself (the caller passed none), so nothing else
    knows it: a failed call releases it, inside a job too.
    """
    try:
        result = drive()
    except BaseException:
        # Failed attempts' rows are written already. Outside a job, nothing was charged: release
        # now. Inside one, the job's ending decides (services.run_job) for the job's reservation:
        # it releases for a failed or cancelled job, but a countdown retry keeps it for the
        # re-run, which settles it; releasing here left succeeded re-runs with a released one.
        if ctx.job is None or owned:
            _settle(reservation, ctx)
        raise
    charge = PendingCharge(ctx, reservation)
    if ctx.job is None:
        charge.write()
    else:
        ctx.job.defer_charge(charge)
    return result


def _prepare(
    *,
    workspace: Workspace,
    user: User | None,
    feature: str,
    messages: Sequence[Mapping[str, Any]],
    model: str | None,
    max_tokens: int | None,
    reservation: BudgetReservation | None,
    job: JobLink | None,
) -> tuple[str, int, BudgetReservation]:
    model = model or settings.LLM_MODEL
    max_tokens = max_tokens if max_tokens is not None else settings.LLM_MAX_OUTPUT_TOKENS
    if reservation is None:
        # No reservation from the caller: take one here, so no path skips the quotas. Inside a
        # job it names the job, so a re-run can release what a killed worker left held
        # (job_reservations).
        reservation = quotas.reserve(
            workspace=workspace,
            user=user,
            feature=feature,
            job_id=None if job is None else job.job_id,
            messages=messages,
            model=model,
            max_tokens=max_tokens,
        )
    else:
        # The prompt may have grown since the job was accepted (e.g. chat history): cap again.
        try:
            quotas.check_input(messages=messages, model=model, max_tokens=max_tokens)
        except InputTooLarge:
            quotas.release(reservation)
            raise
    return model, max_tokens, reservation


# --- chat -----------------------------------------------------------------------------------


def _request_attributes(
    max_tokens: int, temperature: float | None, seed: int | None
) -> dict[str, Any]:
    """The GenAI request attributes of a chat call's attempt spans."""
    attributes: dict[str, Any] = {"gen_ai.request.max_tokens": max_tokens}
    if temperature is not None:
        attributes["gen_ai.request.temperature"] = temperature
    if seed is not None:
        attributes["gen_ai.request.seed"] = seed
    return attributes


def _sampling(temperature: float | None, seed: int | None) -> dict[str, Any]:
    """Sampling options, sent only when set: the provider's defaults apply otherwise.

    Evaluation sets both (temperature 0 and a fixed seed make a judge repeat itself where the
    provider honours them)."""
    options: dict[str, Any] = {}
    if temperature is not None:
        options["temperature"] = temperature
    if seed is not None:
        options["seed"] = seed
    return options


# The SDK walks every request body against its TypedDict annotations, for aliases and formats,
# before it sends it: ~3 ms of CPU with the GIL held for ten messages and three tools, growing
# with the history (py-spy: 15% of a chat reply's worker CPU; openai-python#3616). Messages and
# tool specs have neither, so the walk returns them unchanged (test_gateway checks that against
# the SDK's own transform): they travel in `extra_body`, which the SDK merges into the JSON as
# it is. `messages=[]` is only the placeholder the signature requires; extra_body's wins.
_UNWALKED_FIELDS = ("messages", "tools")


def request_fields(
    model: str, messages: Sequence[Mapping[str, Any]], options: Mapping[str, Any]
) -> dict[str, Any]:
    """Keyword arguments for `chat.completions.create`: messages and tools past the SDK's walk."""
    unwalked = {"messages": list(messages)} | {
        name: options[name] for name in _UNWALKED_FIELDS if name in options
    }
    walked = {name: value for name, value in options.items() if name not in _UNWALKED_FIELDS}
    return {"model": model, "messages": [], **walked, "extra_body": unwalked}


def _chat_attempt(
    ctx: _Context,
    messages: Sequence[Mapping[str, Any]],
    *,
    max_tokens: int,
    options: Mapping[str, Any],
    check: Callable[[str], str | None] | None = None,
) -> Callable[[str, int, LLMCall | None], ChatResult]:
    """One plain chat attempt for `_drive`. `options`: more request fields (sampling,
    `response_format`). `check(text)`: an error text when the answer is unusable to the caller
    (structured.py validates JSON with it); the row then carries it and is not the answer.
    """

    def run(model_name: str, attempt: int, retry_of: LLMCall | None) -> ChatResult:
        started = time.monotonic()
        try:
            raw = get_client().chat.completions.with_raw_response.create(
                max_tokens=max_tokens, **request_fields(model_name, messages, options)
            )
            completion = raw.parse()
        except CALL_ERRORS as exc:
            raise _fail(
                ctx, model=model_name, attempt=attempt, retry_of=retry_of, started=started, exc=exc
            ) from exc
        latency = _elapsed_ms(started)
        choice = completion.choices[0] if completion.choices else None
        text = (choice.message.content if choice else None) or ""
        if completion.usage is not None:
            input_tokens, cached, output = _usage_numbers(completion.usage)
            estimated = False
        else:
            input_tokens, cached = count_message_tokens(messages), 0
            output, estimated = count_tokens(text), True
        cost, unknown = _cost(model_name, input_tokens, cached, output)
        problem = check(text) if check is not None else None
        call = ctx.record(
            # An answer the caller's check refused is ledgered at once, like a failed attempt.
            answer=problem is None,
            error=(problem or "")[:2000],
            response_text=text,
            response_id=completion.id or "",
            finish_reason=choice.finish_reason if choice else None,
            model=model_name,
            status=LLMCall.Status.INCOMPLETE if estimated else LLMCall.Status.SUCCEEDED,
            input_tokens=input_tokens,
            cached_tokens=cached,
            output_tokens=output,
            tokens_estimated=estimated,
            latency_ms=latency,
            cost=cost,
            cost_unknown=unknown,
            provider_request_id=raw.headers.get("x-request-id") or "",
            attempt=attempt,
            retry_of=retry_of,
        )
        return ChatResult(
            text=text,
            model=model_name,
            input_tokens=input_tokens,
            cached_tokens=cached,
            output_tokens=output,
            cost_usd=cost,
            latency_ms=latency,
            ttft_ms=None,
            call_id=call.id,
            finish_reason=choice.finish_reason if choice else None,
            stopped=False,
        )

    return run


def complete(
    *,
    workspace: Workspace,
    user: User | None,
    feature: str,
    messages: list[dict[str, str]],
    prompt_name: str,
    prompt_version: str = "1",
    model: str | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    seed: int | None = None,
    reservation: BudgetReservation | None = None,
    job: JobLink | None = None,
) -> ChatResult:
    """One chat completion, with retries and fallback; one ledger row per attempt."""
    owned = reservation is None
    model, max_tokens, reservation = _prepare(
        workspace=workspace,
        user=user,
        feature=feature,
        messages=messages,
        model=model,
        max_tokens=max_tokens,
        reservation=reservation,
        job=job,
    )
    ctx = _Context(workspace, user, feature, prompt_name, prompt_version, job, messages)
    run = _chat_attempt(ctx, messages, max_tokens=max_tokens, options=_sampling(temperature, seed))
    request = _request_attributes(max_tokens, temperature, seed)
    return _charge(reservation, ctx, lambda: _drive(model, run, request=request), owned=owned)


def _stream_attempt(
    ctx: _Context,
    messages: Sequence[Mapping[str, Any]],
    *,
    max_tokens: int,
    options: Mapping[str, Any],
    on_delta: Callable[[str], None],
    should_stop: Callable[[], bool],
) -> Callable[[str, int, LLMCall | None], ChatResult]:
    """One streamed chat attempt for `_drive`. `options`: more request fields (sampling, `tools`).

    Tool calls arrive as fragments (a call's id and name first, then its arguments in pieces,
    keyed by `index`); they are put together here and returned whole in `ChatResult.tool_calls`.
    A call is not text: nothing of it reaches `on_delta`, so a stream cut during the calls may
    be retried like one that sent nothing.
    """

    def run(model_name: str, attempt: int, retry_of: LLMCall | None) -> ChatResult:
        started = time.monotonic()
        request_id = ""
        parts: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        usage: Any = None
        finish_reason: str | None = None
        response_id = ""
        ttft: int | None = None
        stopped = False
        failure: Exception | None = None
        try:
            raw = get_client().chat.completions.with_raw_response.create(
                max_tokens=max_tokens,
                stream=True,
                stream_options={"include_usage": True},
                **request_fields(model_name, messages, options),
            )
        except CALL_ERRORS as exc:
            raise _fail(
                ctx, model=model_name, attempt=attempt, retry_of=retry_of, started=started, exc=exc
            ) from exc
        request_id = raw.headers.get("x-request-id") or ""
        chunks = raw.parse()

        def answered() -> list[ToolCall]:
            return [
                ToolCall(id=part["id"], name=part["name"], arguments=part["arguments"])
                for _, part in sorted(calls.items())
            ]

        try:
            for chunk in chunks:
                response_id = response_id or chunk.id or ""
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    delta = choice.delta
                    content = delta.content if delta else None
                    if content:
                        if ttft is None:
                            ttft = _elapsed_ms(started)
                        parts.append(content)
                        on_delta(content)
                    for position, fragment in enumerate(
                        (delta.tool_calls if delta else None) or ()
                    ):
                        if ttft is None:
                            ttft = _elapsed_ms(started)
                        # `index` keys a call's fragments; a server that leaves it out sends
                        # each call whole, in order.
                        key = fragment.index if fragment.index is not None else position
                        part = calls.setdefault(key, {"id": "", "name": "", "arguments": ""})
                        part["id"] = fragment.id or part["id"]
                        if fragment.function is not None:
                            part["name"] += fragment.function.name or ""
                            part["arguments"] += fragment.function.arguments or ""
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
                if should_stop():
                    stopped = True
                    break
        except CALL_ERRORS as exc:
            failure = exc
        except Exception as exc:
            # The caller's on_delta/should_stop failed: still ledger what the provider did.
            chunks.close()
            text = _calls_text("".join(parts), answered())
            input_tokens = count_message_tokens(messages)
            output = count_tokens(text)
            cost, unknown = _cost(model_name, input_tokens, 0, output)
            ctx.record(
                response_text=text,
                response_id=response_id,
                model=model_name,
                status=LLMCall.Status.INCOMPLETE if parts or calls else LLMCall.Status.FAILED,
                error=redact(f"{type(exc).__name__}: {exc}")[:2000],
                input_tokens=input_tokens,
                output_tokens=output,
                tokens_estimated=True,
                latency_ms=_elapsed_ms(started),
                ttft_ms=ttft,
                cost=cost,
                cost_unknown=unknown,
                provider_request_id=request_id,
                attempt=attempt,
                retry_of=retry_of,
            )
            raise
        finally:
            chunks.close()
        text = "".join(parts)
        tool_calls = [] if stopped else answered()
        latency = _elapsed_ms(started)
        cut = failure is not None or (finish_reason is None and not stopped)
        if cut and not parts:
            # Nothing reached the caller: as good as a failed request, so it may be retried.
            # Half-received tool calls are not run, but the provider billed their tokens.
            partial = _calls_text("", answered())
            raise _fail(
                ctx,
                model=model_name,
                attempt=attempt,
                retry_of=retry_of,
                started=started,
                exc=failure
                or openai.APIConnectionError(
                    message="the stream ended before any content",
                    request=httpx2.Request("POST", settings.LLM_BASE_URL),
                ),
                used=(count_message_tokens(messages), count_tokens(partial)) if calls else None,
            )
        if cut:
            # The text is what counts; half a tool call is not run.
            tool_calls = []
        recorded = _calls_text(text, tool_calls)
        if usage is not None:
            input_tokens, cached, output = _usage_numbers(usage)
            estimated = False
        else:
            input_tokens, cached = count_message_tokens(messages), 0
            output, estimated = count_tokens(recorded), True
        cost, unknown = _cost(model_name, input_tokens, cached, output)
        if stopped:
            status = LLMCall.Status.CANCELLED
        elif cut or estimated:
            status = LLMCall.Status.INCOMPLETE
        else:
            status = LLMCall.Status.SUCCEEDED
        error = ""
        if cut:
            error = redact(_classify(failure)[1] if failure else "the stream ended early")
        call = ctx.record(
            # A cut stream raises below: only a finished or stopped one is the answer.
            answer=not cut,
            response_text=recorded,
            response_id=response_id,
            finish_reason=finish_reason,
            model=model_name,
            status=status,
            error=error[:2000],
            input_tokens=input_tokens,
            cached_tokens=cached,
            output_tokens=output,
            tokens_estimated=estimated,
            latency_ms=latency,
            ttft_ms=ttft,
            cost=cost,
            cost_unknown=unknown,
            provider_request_id=request_id,
            attempt=attempt,
            retry_of=retry_of,
        )
        if cut:
            # Deltas already reached the caller: a retry would repeat them, so stop here.
            error_out = ProviderError(
                "The answer was cut off before it finished. Please try again."
            )
            error_out.call_id = call.id
            raise error_out
        return ChatResult(
            text=text,
            model=model_name,
            input_tokens=input_tokens,
            cached_tokens=cached,
            output_tokens=output,
            cost_usd=cost,
            latency_ms=latency,
            ttft_ms=ttft,
            call_id=call.id,
            finish_reason=finish_reason,
            stopped=stopped,
            tool_calls=tool_calls,
        )

    return run


def stream(
    *,
    workspace: Workspace,
    user: User | None,
    feature: str,
    messages: list[dict[str, str]],
    prompt_name: str,
    prompt_version: str = "1",
    model: str | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    seed: int | None = None,
    reservation: BudgetReservation | None = None,
    job: JobLink | None = None,
    on_delta: Callable[[str], None],
    should_stop: Callable[[], bool] = lambda: False,
) -> ChatResult:
    """A streamed completion: `on_delta(text)` per delta; `should_stop()` polled between deltas."""
    owned = reservation is None
    model, max_tokens, reservation = _prepare(
        workspace=workspace,
        user=user,
        feature=feature,
        messages=messages,
        model=model,
        max_tokens=max_tokens,
        reservation=reservation,
        job=job,
    )
    ctx = _Context(workspace, user, feature, prompt_name, prompt_version, job, messages)
    run = _stream_attempt(
        ctx,
        messages,
        max_tokens=max_tokens,
        options=_sampling(temperature, seed),
        on_delta=on_delta,
        should_stop=should_stop,
    )
    request = _request_attributes(max_tokens, temperature, seed)
    return _charge(reservation, ctx, lambda: _drive(model, run, request=request), owned=owned)


# --- embeddings -----------------------------------------------------------------------------


def _vector(embedding: Any) -> list[float]:
    """A vector from base64 (little-endian float32, as asked) or from floats (servers that ignore
    `encoding_format`)."""
    if isinstance(embedding, str):
        return array("f", base64.b64decode(embedding)).tolist()
    return [float(value) for value in embedding]


def embed(
    *,
    workspace: Workspace,
    user: User | None,
    feature: str,
    texts: list[str],
    model: str | None = None,
    dimensions: int | None = None,
    job: JobLink | None = None,
) -> list[list[float]]:
    """Embed texts (one request); ledgered like a chat call, with output tokens 0.

    Charged at once, also inside a job (`job` only links the ledger rows to it): a batch of
    embeddings is kept by the caller as soon as it returns, so there is no outcome to wait for.
    `dimensions` is sent for models that take it (OpenAI's text-embedding-3, the dev server).
    """
    model = model or settings.LLM_EMBEDDING_MODEL
    messages = [{"role": "user", "content": text} for text in texts]
    # Batches of chunks may be long in total; the chat input cap does not apply to them.
    reservation = quotas.reserve(
        workspace=workspace,
        user=user,
        feature=feature,
        job_id=None if job is None else job.job_id,
        messages=messages,
        model=model,
        max_tokens=0,
        check_size=False,
    )
    ctx = _Context(workspace, user, feature, "embed", "1", job, messages, operation="embeddings")
    extra: dict[str, Any] = {} if dimensions is None else {"dimensions": dimensions}

    def run(model_name: str, attempt: int, retry_of: LLMCall | None) -> list[list[float]]:
        started = time.monotonic()
        try:
            # base64, not float: the SDK builds a typed object per number of a float list (about
            # half of ingestion's time, docs/knowledge.md); one string per vector is cheap.
            raw = get_client().embeddings.with_raw_response.create(
                model=model_name, input=texts, encoding_format="base64", **extra
            )
            response = raw.parse()
        except CALL_ERRORS as exc:
            raise _fail(
                ctx, model=model_name, attempt=attempt, retry_of=retry_of, started=started, exc=exc
            ) from exc
        input_tokens = int(response.usage.prompt_tokens) if response.usage else 0
        cost, unknown = _cost(model_name, input_tokens, 0, 0)
        ctx.record(
            model=model_name,
            status=LLMCall.Status.SUCCEEDED,
            input_tokens=input_tokens,
            latency_ms=_elapsed_ms(started),
            cost=cost,
            cost_unknown=unknown,
            provider_request_id=raw.headers.get("x-request-id") or "",
            attempt=attempt,
            retry_of=retry_of,
        )
        ordered = sorted(response.data, key=lambda item: item.index)
        return [_vector(item.embedding) for item in ordered]

    try:
        # The chat fallback model is no embedding model: embeddings only retry.
        return _drive(model, run, fallback=False, operation="embeddings")
    finally:
        _settle(reservation, ctx)
