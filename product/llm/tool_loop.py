"""Tool-using streamed replies: `stream_with_tools` runs the model's tool calls and feeds them back.

One round ("step"): a streamed attempt offered the tools (`_stream_attempt`, with the gateway's
retries and fallback, one ledger row per attempt). If the model asks for calls, each is checked
and run (tools.py), several at once on their own threads, each within its time limit; the
assistant turn that asked and one `tool` message per call are appended, and the next round
starts. It ends when the model answers without calls, when Stop is pressed (polled between deltas
and while tools run), or at the step limit: after `max_steps` rounds of calls the model is asked
once more with `tool_choice: "none"` to answer with what it has, and a `limit` event says so.

Money: the reply's budget reservation holds one call's worst case; each further round adds its
own worst case to the same reservation first (`quotas.extend`, under the workspace lock), so a
loop cannot spend past the budget. Every round's answering row is charged with the reply (the
job's ending transaction, as for a single call).

What people see: `on_tool(event)` gets a JSON-able dict per call when it starts ("running") and
when it ends ("ok" / "error"), and one `limit` event; the chat persists and streams them
(docs/streaming.md). Text streams through `on_delta` across rounds, a blank line between them.
Events and deltas are sent from the calling thread only, so the caller needs no lock.

Safety: what a tool returns is data in a `tool` message, never instructions with more rights.
Only the offered tools run; each runs with the caller's scope, not with anything in its arguments.
"""

from __future__ import annotations

import contextvars
import dataclasses
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pydantic
from django.conf import settings
from django.db import connections

from product.accounts.models import User, Workspace
from product.core import tracing
from product.llm import quotas
from product.llm.errors import InputTooLarge, QuotaExceeded
from product.llm.gateway import (
    ChatResult,
    JobLink,
    ToolCall,
    _charge,
    _Context,
    _drive,
    _prepare,
    _request_attributes,
    _sampling,
    _stream_attempt,
)
from product.llm.models import BudgetReservation
from product.llm.tools import Tool, ToolOutput, ToolRun, ToolScope, error_run, execute
from product.llm.tools import parse_arguments as parse_tool_arguments

# How often the loop looks at Stop and the time limits while tools run.
POLL_S = 0.05
RESULT_SHOWN_CHARS = 2000  # of a tool's result, in the event people see (the model reads more)


@dataclass
class ToolChatResult(ChatResult):
    """The whole reply: text of every round, tokens and cost summed over the rounds' answering
    attempts, `call_id` the last round's row; `steps` the final event of each call (and the limit)
    in order; `outputs` the successful calls' outputs in order (for citations)."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[ToolOutput] = field(default_factory=list)
    rounds: int = 0


def limit_message(rounds: int) -> str:
    return (
        f"Stopped using tools after {rounds} step{'s' if rounds != 1 else ''}, the most one reply "
        "may take. The answer uses what they found."
    )


def _event(
    call: ToolCall, tool: Tool | None, step: int, status: str, run: ToolRun | None = None
) -> dict[str, Any]:
    arguments: Any = call.arguments[:RESULT_SHOWN_CHARS]
    if run is not None and run.arguments is not None:
        arguments = run.arguments
        if isinstance(arguments, str):
            arguments = arguments[:RESULT_SHOWN_CHARS]
    return {
        "id": call.id,
        "kind": "call",
        "step": step,
        "name": call.name,
        "label": (tool.label if tool is not None and tool.label else call.name),
        "arguments": arguments,
        "status": status,
        "display": run.display if run is not None else "",
        "result": (run.content[:RESULT_SHOWN_CHARS] if run is not None and run.ok else ""),
        "error": run.error if run is not None else "",
        "elapsed_ms": run.elapsed_ms if run is not None else 0,
    }


def _in_thread(
    tool: Tool, scope: ToolScope, arguments: pydantic.BaseModel, call: ToolCall
) -> ToolRun:
    """One call on a pool thread, inside the reply's trace (the context is copied in)."""
    try:
        with tracing.span(
            tracing.TOOL,
            f"execute_tool {tool.name}",
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": tool.name,
                "gen_ai.tool.call.id": call.id,
            },
        ) as span:
            run = execute(tool, scope, arguments)
            if not run.ok:
                span.fail(run.error[:2000])
            return run
    finally:
        # The thread's own connection, if the tool opened one: not left for the pool to leak.
        connections.close_all()


def _refused(call: ToolCall, message: str, arguments: Any, elapsed_ms: int = 0) -> ToolRun:
    """A call that never ran or never answered (unknown tool, bad arguments, too many calls, the
    time limit): an error step in the trace too, recorded from the loop's thread."""
    with tracing.span(
        tracing.TOOL,
        f"execute_tool {call.name}",
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": call.name},
    ) as span:
        span.fail(message[:2000])
    return error_run(message, arguments=arguments, elapsed_ms=elapsed_ms)


def run_calls(
    calls: Sequence[ToolCall],
    *,
    offered: Mapping[str, Tool],
    scope: ToolScope,
    step: int,
    on_tool: Callable[[dict[str, Any]], None],
    should_stop: Callable[[], bool],
) -> list[ToolRun] | None:
    """Run one round's calls; their results in the calls' order, or None if Stop was pressed."""
    results: dict[int, ToolRun] = {}
    runnable: list[tuple[int, Tool, pydantic.BaseModel]] = []
    most = settings.LLM_TOOL_MAX_CALLS_PER_STEP
    for index, call in enumerate(calls):
        tool = offered.get(call.name)
        on_tool(_event(call, tool, step, "running"))
        if index >= most:
            # A model (or a document talking to it) cannot start threads without limit.
            results[index] = _refused(
                call,
                f"only {most} tool calls run per step; make this call again in the next one.",
                call.arguments,
            )
            continue
        if tool is None:
            names = ", ".join(sorted(offered)) or "none"
            results[index] = _refused(
                call,
                f"no tool named {call.name!r} is available to you here (available: {names}).",
                call.arguments,
            )
            continue
        shown, arguments, problem = parse_tool_arguments(tool, call.arguments)
        if arguments is None:
            results[index] = _refused(call, problem, shown)
            continue
        runnable.append((index, tool, arguments))
    for index, run in sorted(results.items()):
        on_tool(_event(calls[index], offered.get(calls[index].name), step, "error", run))
    if not runnable:
        return [results[index] for index in range(len(calls))]
    # A timed-out tool's thread cannot be killed: it runs on and its answer is dropped. Tools
    # are reads and should bound their own waits (statement and socket timeouts).
    pool = ThreadPoolExecutor(max_workers=len(runnable), thread_name_prefix="keel-tool")
    started = time.monotonic()
    pending: dict[Future[ToolRun], tuple[int, Tool]] = {}
    for index, tool, arguments in runnable:
        future = pool.submit(
            contextvars.copy_context().run, _in_thread, tool, scope, arguments, calls[index]
        )
        pending[future] = (index, tool)
    try:
        while pending:
            done, _ = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                index, tool = pending.pop(future)
                results[index] = future.result()
                on_tool(_event(calls[index], tool, step, _status(results[index]), results[index]))
            elapsed = time.monotonic() - started
            for future, (index, tool) in list(pending.items()):
                if elapsed >= tool.time_limit_s:
                    del pending[future]
                    results[index] = _refused(
                        calls[index],
                        f"{tool.name} did not answer within {tool.time_limit_s:g} seconds.",
                        parse_tool_arguments(tool, calls[index].arguments)[0],
                        elapsed_ms=int(elapsed * 1000),
                    )
                    on_tool(_event(calls[index], tool, step, "error", results[index]))
            if pending and should_stop():
                for index, tool in pending.values():
                    stopped = error_run(
                        "stopped before it finished.",
                        arguments=parse_tool_arguments(tool, calls[index].arguments)[0],
                        elapsed_ms=int((time.monotonic() - started) * 1000),
                    )
                    on_tool(_event(calls[index], tool, step, "error", stopped))
                return None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return [results[index] for index in range(len(calls))]


def _status(run: ToolRun) -> str:
    return "ok" if run.ok else "error"


def _total(results: Sequence[ChatResult], attribute: str) -> int:
    return sum(int(getattr(result, attribute)) for result in results)


def _cost(results: Sequence[ChatResult]) -> Decimal | None:
    """The rounds' cost; unknown (None) if any round's model has no price, as the settlement says."""
    costs = [result.cost_usd for result in results]
    if any(cost is None for cost in costs):
        return None
    return sum((cost for cost in costs if cost is not None), Decimal(0))


def _sized(conversation: Sequence[Mapping[str, Any]], specs: str) -> list[Mapping[str, Any]]:
    """What a round sends, for the budget estimate: the tools' schemas are input tokens too."""
    return [*conversation, {"role": "system", "content": specs}] if specs else list(conversation)


def stream_with_tools(
    *,
    workspace: Workspace,
    user: User | None,
    feature: str,
    messages: list[dict[str, Any]],
    prompt_name: str,
    prompt_version: str = "1",
    tools: Sequence[Tool],
    scope: ToolScope,
    model: str | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    seed: int | None = None,
    reservation: BudgetReservation | None = None,
    job: JobLink | None = None,
    max_steps: int | None = None,
    on_delta: Callable[[str], None],
    on_tool: Callable[[dict[str, Any]], None] = lambda event: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> ToolChatResult:
    """A streamed reply that may call `tools`; see the module docstring. With no tools, it is one
    plain streamed call. Only the tools `scope` may use are offered (`Tool.available`)."""
    if scope.workspace.pk != workspace.pk or (scope.user and scope.user.pk) != (user and user.pk):
        raise ValueError("The tools' scope must be the caller's own workspace and user.")
    if scope.job is None and job is not None:
        # A tool that calls the gateway (a search embedding its query) ledgers under the job.
        scope = dataclasses.replace(scope, job=job)
    offered = {tool.name: tool for tool in tools if tool.available(scope)}
    specs = [tool.spec() for tool in offered.values()]
    specs_text = json.dumps(specs, separators=(",", ":")) if specs else ""
    owned = reservation is None
    model, max_tokens, reservation = _prepare(
        workspace=workspace,
        user=user,
        feature=feature,
        messages=_sized(messages, specs_text),
        model=model,
        max_tokens=max_tokens,
        reservation=reservation,
        job=job,
    )
    limit = settings.LLM_TOOL_MAX_STEPS if max_steps is None else max_steps
    ctx = _Context(workspace, user, feature, prompt_name, prompt_version, job, messages)
    request = _request_attributes(max_tokens, temperature, seed)
    sampling = _sampling(temperature, seed)
    started = time.monotonic()

    def drive() -> ToolChatResult:
        conversation: list[dict[str, Any]] = list(messages)
        answers: list[ChatResult] = []
        steps: list[dict[str, Any]] = []
        outputs: list[ToolOutput] = []
        texts: list[str] = []
        joiner = _Joiner(on_delta)
        rounds = 0
        used_ids: set[str] = set()

        def finish(stopped: bool = False) -> ToolChatResult:
            last = answers[-1]
            return ToolChatResult(
                text="\n\n".join(text for text in texts if text),
                model=last.model,
                input_tokens=_total(answers, "input_tokens"),
                cached_tokens=_total(answers, "cached_tokens"),
                output_tokens=_total(answers, "output_tokens"),
                cost_usd=_cost(answers),
                latency_ms=int((time.monotonic() - started) * 1000),
                ttft_ms=answers[0].ttft_ms,
                call_id=last.call_id,
                finish_reason=last.finish_reason,
                stopped=stopped or last.stopped,
                steps=steps,
                outputs=outputs,
                rounds=rounds,
            )

        def rounds_until_answered() -> ToolChatResult:
            nonlocal rounds
            while True:
                final_round = rounds >= limit
                if answers:
                    try:
                        quotas.extend(
                            reservation,
                            messages=_sized(conversation, specs_text),
                            model=model,
                            max_tokens=max_tokens,
                        )
                    except (QuotaExceeded, InputTooLarge) as exc:
                        # What the person saw so far stands; the reply ends here, saying why.
                        steps.append(_limit_event(rounds, f"Stopped using tools: {exc.message}"))
                        on_tool(steps[-1])
                        return finish()
                options: dict[str, Any] = dict(sampling)
                if specs:
                    options.update(tools=specs, tool_choice="none" if final_round else "auto")
                sent = list(conversation)
                ctx.messages = sent
                joiner.next_round()
                run = _stream_attempt(
                    ctx,
                    sent,
                    max_tokens=max_tokens,
                    options=options,
                    on_delta=joiner,
                    should_stop=should_stop,
                )
                result = _drive(model, run, request=request)
                answers.append(result)
                texts.append(result.text)
                if final_round and rounds:
                    # (A provider that ignores "none" and calls anyway: the calls are ledgered
                    # with the round and not run.)
                    steps.append(_limit_event(rounds, limit_message(rounds)))
                    on_tool(steps[-1])
                    if not result.text:
                        # A provider that ignores tool_choice "none" still leaves a readable reply.
                        texts.append(limit_message(rounds))
                        joiner(limit_message(rounds))
                    return finish()
                if final_round or result.stopped or not result.tool_calls:
                    return finish()
                rounds += 1
                calls = [_with_id(call, used_ids) for call in result.tool_calls]
                conversation.append(
                    {
                        "role": "assistant",
                        "content": result.text or None,
                        "tool_calls": [call.as_message_part() for call in calls],
                    }
                )
                runs = run_calls(
                    calls,
                    offered=offered,
                    scope=scope,
                    step=rounds,
                    on_tool=lambda event: _note(steps, event, on_tool),
                    should_stop=should_stop,
                )
                if runs is None:
                    return finish(stopped=True)
                for call, tool_run in zip(calls, runs, strict=True):
                    conversation.append(
                        {"role": "tool", "tool_call_id": call.id, "content": tool_run.content}
                    )
                    if tool_run.ok:
                        outputs.append(
                            ToolOutput(
                                tool_run.content, display=tool_run.display, data=tool_run.data
                            )
                        )
                if should_stop():
                    return finish(stopped=True)

        try:
            return rounds_until_answered()
        except BaseException:
            # Rounds that answered are real calls the provider billed: ledgered even though the
            # reply failed later (a round refused by the budget, a provider error).
            for call in ctx.pending:
                call.save(force_insert=True)
            ctx.pending.clear()
            raise

    return _charge(reservation, ctx, drive, owned=owned)


class _Joiner:
    """Passes deltas on, with a blank line before a round's first text if text came before it,
    so the streamed text is the rounds' texts joined by blank lines (what the result says)."""

    def __init__(self, on_delta: Callable[[str], None]) -> None:
        self.on_delta = on_delta
        self.before = False
        self.now = False

    def next_round(self) -> None:
        self.before, self.now = self.before or self.now, False

    def __call__(self, delta: str) -> None:
        if not delta:
            return
        if self.before and not self.now:
            self.on_delta("\n\n")
        self.now = True
        self.on_delta(delta)


def _note(
    steps: list[dict[str, Any]], event: dict[str, Any], on_tool: Callable[[dict[str, Any]], None]
) -> None:
    """Keep each call's latest event (in the order the calls started) and pass it on."""
    upsert_step(steps, event)
    on_tool(event)


def upsert_step(steps: list[dict[str, Any]], step: dict[str, Any]) -> None:
    """Put a step's new state in place of its old one (same id), or add it at the end."""
    for index, known in enumerate(steps):
        if known.get("id") == step.get("id"):
            steps[index] = step
            return
    steps.append(step)


def _limit_event(rounds: int, message: str) -> dict[str, Any]:
    return {
        "id": f"limit-{rounds}",
        "kind": "limit",
        "step": rounds,
        "name": "",
        "label": "Step limit",
        "arguments": None,
        "status": "limit",
        "display": "",
        "result": "",
        "error": message,
        "elapsed_ms": 0,
    }


def _with_id(call: ToolCall, used: set[str]) -> ToolCall:
    """The id pairs a call with its result message and keys its step for people: one per call in
    the reply. A provider that sends none, or reuses one (`call_0` every round), gets a new one."""
    if not call.id or call.id in used:
        call = ToolCall(f"call_{uuid.uuid4().hex[:24]}", call.name, call.arguments)
    used.add(call.id)
    return call
