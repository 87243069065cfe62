"""Tool-using chat replies: the loop's own CPU per step, and 50 concurrent replies of 3 steps.

1. **Overhead per step** (in-process, dev model at zero latency): CPU of `stream_with_tools` doing
   ROUNDS rounds of one call of a no-op tool and a final answer, minus CPU of the same number of
   plain `gateway.stream` calls on one reservation (the model's share: SDK, HTTP, ledger rows),
   divided by ROUNDS.
   What is left is the loop's: checking and running the call on a pool thread, the events, the
   growing conversation, extending the reservation (one locked UPDATE) per round.
2. **Makespan**: REPLIES chat replies through one worker process (threads pool, as in
   production), each calling `current_time` twice before it answers: 3 model calls at 2 s each,
   6 s of model time per reply, in conversations that have a title already (a follow-up
   question; BENCH_FIRST_MESSAGES=1: first messages, each also queueing a title job). Sent through `chat.services.send_message` in one transaction;
   makespan is from that commit to the last reply written as done. Goal: <= 1.5 x 6 s.

Prints one JSON line last:
{"bench":"tool_loop","overhead_cpu_ms_per_step":...,"replies":50,"steps":3,"makespan_s":...,
 "ratio":...,"goal_ratio":1.5,"worker_cpu_ms_per_step":...}
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, cpu_seconds, print_result  # noqa: E402

REPLIES = int(os.environ.get("BENCH_REPLIES", "50"))
STEP_LATENCY_S = 2
ROUNDS = 2  # tool rounds per reply; with the final answer, 3 model calls
OVERHEAD_REPEATS = int(os.environ.get("BENCH_REPEATS", "40"))
FIRST_MESSAGES = os.environ.get("BENCH_FIRST_MESSAGES", "0") == "1"
MARKERS = f'[[tool_steps: {ROUNDS}]] [[tool: current_time {{"timezone": "UTC"}}]]'


def overhead_per_step(workspace: Any, user: Any) -> float:
    """CPU ms the loop adds per round, beyond the model calls themselves (see the docstring)."""
    from pydantic import BaseModel

    from product.llm import gateway, quotas
    from product.llm.tool_loop import stream_with_tools
    from product.llm.tools import Tool, ToolOutput, ToolScope

    class NoArgs(BaseModel):
        timezone: str = "UTC"

    noop = Tool("current_time", "no-op", NoArgs, lambda scope, args: ToolOutput("12:00"))
    scope = ToolScope(workspace=workspace, user=user)

    def with_tools() -> None:
        stream_with_tools(
            workspace=workspace,
            user=user,
            feature="bench",
            messages=[{"role": "user", "content": f"What time is it? {MARKERS}"}],
            prompt_name="bench",
            tools=[noop],
            scope=scope,
            on_delta=lambda delta: None,
        )

    def plain() -> None:
        # The same model calls on one reservation, as the loop makes them: what is left over is
        # the loop's (the calls, their checks and threads, the events, extending the reservation).
        messages = [{"role": "user", "content": "What time is it?"}]
        reservation = quotas.reserve(
            workspace=workspace, user=user, feature="bench", messages=messages
        )
        for _ in range(ROUNDS + 1):
            gateway.stream(
                workspace=workspace,
                user=user,
                feature="bench",
                messages=messages,
                prompt_name="bench",
                reservation=reservation,
                on_delta=lambda delta: None,
            )

    def cpu_ms(run: Any) -> float:
        run()  # warm
        started = time.process_time()
        for _ in range(OVERHEAD_REPEATS):
            run()
        return (time.process_time() - started) * 1000 / OVERHEAD_REPEATS

    looped, baseline = cpu_ms(with_tools), cpu_ms(plain)
    print(
        f"per reply: with tools {looped:.1f} ms CPU, {ROUNDS + 1} plain calls {baseline:.1f} ms",
        file=sys.stderr,
    )
    return (looped - baseline) / ROUNDS


def main() -> None:
    with BenchStack(redis_db=int(os.environ.get("BENCH_REDIS_DB", "13"))) as stack:
        stack.start_devmodel(ttft_ms=STEP_LATENCY_S * 1000)
        stack.start_worker(concurrency=200)
        stack.setup_django()

        from django.conf import settings
        from django.db import connection, transaction

        from product.accounts.models import User
        from product.accounts.services import create_personal_workspace
        from product.chat.models import Message
        from product.chat.services import send_message, start_conversation
        from product.devmodel.background import serve_in_thread

        user = User.objects.create_user("bench@example.com", "bench-password-123")
        workspace = create_personal_workspace(user=user)

        # Part 1 against a dev model of its own, without latency, in this process.
        slow_url = settings.LLM_BASE_URL
        with serve_in_thread() as fast_url:
            settings.LLM_BASE_URL = fast_url
            try:
                overhead = overhead_per_step(workspace, user)
            finally:
                settings.LLM_BASE_URL = slow_url

        # Titled conversations, as for a follow-up question (where tools are used most): a
        # first message also queues the conversation's title job, another model call on the
        # same worker. BENCH_FIRST_MESSAGES=1 measures that case.
        conversations = [
            start_conversation(
                workspace=workspace, user=user, title="" if FIRST_MESSAGES else f"Bench {n}"
            )
            for n in range(REPLIES + 1)
        ]
        warm = send_message(conversation=conversations.pop(), author=user, text=f"warm {MARKERS}")
        while not Message.objects.get(pk=warm.reply.pk).is_finished:
            time.sleep(0.1)

        worker_pid = stack.processes["worker"].pid
        cpu_before = cpu_seconds(worker_pid)
        with transaction.atomic():
            replies = [
                send_message(
                    conversation=conversation, author=user, text=f"Time {n}? {MARKERS}"
                ).reply.pk
                for n, conversation in enumerate(conversations)
            ]
            started = time.monotonic()
        pending = Message.objects.filter(pk__in=replies).exclude(status__in=Message.FINISHED)
        deadline = started + 180
        while pending.exists():
            if time.monotonic() > deadline:
                raise SystemExit("replies did not finish within 180 s")
            time.sleep(0.05)
        makespan = time.monotonic() - started
        worker_cpu = cpu_seconds(worker_pid) - cpu_before
        done = list(Message.objects.filter(pk__in=replies, status=Message.Status.DONE))
        connection.close()
        if len(done) != REPLIES:
            failed = Message.objects.filter(pk__in=replies).exclude(status=Message.Status.DONE)
            example = failed.first()
            raise SystemExit(
                f"only {len(done)}/{REPLIES} done; e.g. {example and example.error_message}"
            )
        calls = [step for message in done for step in message.tool_steps if step["kind"] == "call"]
        if len(calls) != REPLIES * ROUNDS:
            raise SystemExit(f"expected {REPLIES * ROUNDS} tool calls, saw {len(calls)}")
        model_time = STEP_LATENCY_S * (ROUNDS + 1)
        steps = REPLIES * (ROUNDS + 1)
        print_result(
            {
                "bench": "tool_loop",
                "overhead_cpu_ms_per_step": round(overhead, 2),
                "replies": REPLIES,
                "steps": ROUNDS + 1,
                "step_latency_s": STEP_LATENCY_S,
                "makespan_s": round(makespan, 2),
                "ratio": round(makespan / model_time, 3),
                "goal_ratio": 1.5,
                "worker_cpu_ms_per_step": round(worker_cpu * 1000 / steps, 2),
                "first_messages": FIRST_MESSAGES,
                "load_avg_1m": os.getloadavg()[0],
            }
        )


if __name__ == "__main__":
    main()
