"""Tokens per second end to end (API -> worker -> Redis Stream -> SSE) vs the dev model server read
directly, for the same scripted replies at the same concurrency.

Rate = text after the first delta / (last delta - first delta) at the client, in characters per
second, per stream; ratio = end-to-end median rate / direct median rate (goal >= 0.9: Keel's path
must not slow a stream down). Characters, not events: Keel coalesces the deltas that arrive within
50 ms into one stream entry (docs/streaming.md), so it sends fewer, larger events than the model.
`tokens_per_s` is the characters per second divided by the characters per token of the reply.

Prints one JSON line last: {"bench":"stream_rate","ratio":...,"tokens_per_s":...,"direct_tokens_per_s":...}
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, print_result  # noqa: E402
from ttft import (  # noqa: E402
    REDIS_DB,
    chat_once,
    create_conversation,
    direct_once,
    make_api_key,
    start_web,
)

STREAMS = int(os.environ.get("BENCH_STREAM_RATE_STREAMS", "10"))
TOKENS = int(os.environ.get("BENCH_STREAM_RATE_TOKENS", "300"))
DELAY_MS = int(os.environ.get("BENCH_STREAM_RATE_DELAY_MS", "10"))
PROMPT = f"[[tokens: {TOKENS}]] [[delay_ms: {DELAY_MS}]]"


def rate(result: dict[str, float]) -> float:
    return result["chars_after_first"] / max(result["last"] - result["first"], 1e-6)


async def measure(stack: BenchStack, key: str) -> dict[str, float]:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(
        base_url=stack.web_url,
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
        limits=limits,
    ) as client:
        conversations = await asyncio.gather(*[create_conversation(client) for _ in range(STREAMS)])
        await chat_once(client, conversations[0], "[[reply: warm up]]")
        devmodel = f"http://127.0.0.1:{stack.devmodel_port}/v1"
        direct = await asyncio.gather(*[direct_once(devmodel, PROMPT) for _ in range(STREAMS)])
        path = await asyncio.gather(*[chat_once(client, c, PROMPT) for c in conversations])
    direct_rate = statistics.median(rate(d) for d in direct)
    path_rate = statistics.median(rate(p) for p in path)
    # The model's own deltas are its tokens: characters per token, to report tokens per second.
    chars_per_token = statistics.median(d["chars"] / d["deltas"] for d in direct)
    lost = sum(1 for d, p in zip(direct, path, strict=True) if d["chars"] != p["chars"])
    return {
        "direct_tokens_per_s": round(direct_rate / chars_per_token, 1),
        "tokens_per_s": round(path_rate / chars_per_token, 1),
        "ratio": round(path_rate / direct_rate, 3),
        "streams_with_other_token_count": lost,
    }


def main() -> None:
    with BenchStack(redis_db=REDIS_DB) as stack:
        stack.start_devmodel(ttft_ms=0, token_delay_ms=DELAY_MS)
        stack.start_worker(concurrency=200)
        start_web(stack)
        key = make_api_key(stack)
        numbers = asyncio.run(measure(stack, key))
    print_result(
        {
            "bench": "stream_rate",
            "ratio": numbers["ratio"],
            "tokens_per_s": numbers["tokens_per_s"],
            "direct_tokens_per_s": numbers["direct_tokens_per_s"],
            "streams": STREAMS,
            "tokens": TOKENS,
            "delay_ms": DELAY_MS,
            "streams_with_other_token_count": numbers["streams_with_other_token_count"],
        }
    )


if __name__ == "__main__":
    main()
