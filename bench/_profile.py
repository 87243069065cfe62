"""Where a process's CPU goes, by owner: Keel's code, Django, the openai SDK and its HTTP stack,
Celery/kombu, the database and Redis drivers, Python itself.

A benchmark run with BENCH_PROFILE=1 samples its worker or web with py-spy (a dev dependency),
only while a thread holds the GIL (`--gil`: CPU, not waiting), and adds the summary to its JSON:

    BENCH_PROFILE=1 DATABASE_URL=... REDIS_URL=... uv run python bench/concurrency.py

Or summarise any raw py-spy recording yourself:

    .venv/bin/py-spy record --pid <pid> --gil --format raw --output /tmp/worker.raw -d 20
    uv run python bench/_profile.py /tmp/worker.raw

py-spy pauses the process for each sample, so a profiled run is slower: read its ratio from a
run without BENCH_PROFILE, and the shares from this one.

`self` is where the samples were (the innermost frame's owner); `under_keel` is the share of
samples with Keel's code anywhere on the stack, split by the owner of the innermost frame, so
"Django ORM work that Keel's queries cause" is visible apart from Keel's own Python.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

# First match wins; a frame looks like "function (path/to/file.py:123)".
OWNERS: tuple[tuple[str, str], ...] = (
    # Keel's patch of kombu's Redis QoS wraps kombu's ack: that time is kombu's.
    ("celery", r"\(worker/kombu_redis\.py"),
    ("keel", r"\((product|worker)/"),
    ("openai_sdk", r"\((openai|pydantic|pydantic_core)/"),
    ("http", r"\((httpx\d?|httpcore\d?|h11|anyio|sniffio|ssl|socket)[/.]"),
    ("django", r"\(django/"),
    ("celery", r"\((celery|kombu|billiard|vine|click)/"),
    ("psycopg", r"\(psycopg(_pool)?/"),
    ("redis", r"\(redis/"),
    ("uvicorn_asgi", r"\((uvicorn|starlette|asgiref|ninja|h2)/"),
)
_COMPILED = [(owner, re.compile(pattern)) for owner, pattern in OWNERS]


def owner_of(frame: str) -> str:
    for owner, pattern in _COMPILED:
        if pattern.search(frame):
            return owner
    return "python"


def summarise(raw: str) -> dict[str, object]:
    """Shares (percent of GIL-holding samples) by owner, from py-spy's `--format raw` lines."""
    self_share: Counter[str] = Counter()
    under_keel: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [frame for frame in stack.split(";") if frame]
        if not frames:
            continue
        total += samples
        leaf = owner_of(frames[-1])
        self_share[leaf] += samples
        if any(owner_of(frame) == "keel" for frame in frames):
            under_keel[leaf] += samples

    def percent(counter: Counter[str]) -> dict[str, float]:
        return {name: round(100 * n / total, 1) for name, n in counter.most_common()}

    if not total:
        return {"samples": 0}
    return {
        "samples": total,
        "self_pct": percent(self_share),
        "under_keel_pct": percent(under_keel),
    }


class Profiler:
    """py-spy attached to one process for as long as the benchmark's measured part runs."""

    def __init__(self, pid: int, output: Path) -> None:
        self.output = output
        self.error = ""
        spy = Path(sys.executable).parent / "py-spy"
        self.process = subprocess.Popen(
            [str(spy), "record", "--pid", str(pid), "--gil", "--format", "raw"]
            + ["--rate", "200", "--output", str(output)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> dict[str, object]:
        raw = self.stop_raw()
        return summarise(raw) if raw else {"samples": 0, "error": self.error}

    def stop_raw(self) -> str:
        """py-spy's recording ("" if it failed: see `error`), for summarising several together."""
        # py-spy writes its file when interrupted, as after Ctrl-C.
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.error = "py-spy did not stop"
            return ""
        if not self.output.exists():
            self.error = "py-spy wrote nothing (ptrace not permitted?)"
            return ""
        return self.output.read_text()


def maybe_profile(pid: int, output: Path) -> Profiler | None:
    return Profiler(pid, output) if os.environ.get("BENCH_PROFILE") else None


if __name__ == "__main__":
    print(json.dumps(summarise(Path(sys.argv[1]).read_text()), indent=1))
