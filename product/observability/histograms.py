"""Latency histograms that add up: fixed log-spaced buckets, so hours merge into days by a SUM.

A percentile cannot be summed, but a histogram can: each usage rollup row keeps how many calls
fell in each bucket, and any set of rows (a day, a model, a month) merges by adding the counts,
in SQL, on any database. A percentile is then read off the merged counts.

Buckets are [0, 10 ms), then [b, b·√2) up to 655 s, and one open bucket above. The estimate lies
in the bucket of the true value (it interpolates linearly inside it), so it is off by at most
that bucket's width: a factor of √2 (±41 %) in the worst case, a few percent for most data.
The smallest and largest values are kept too, and bound the estimate (one call's p50 is exact).
Changing the bounds changes what the stored counts mean: it needs a migration and a rebuild of
the rollups (docs/observability.md, Usage).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

FIRST_BOUND_MS = 10
# Exclusive upper bounds: 10, 14, 20, 28, 40, 57, 80, 113, 160, ... 655,360 ms.
BOUNDS_MS: tuple[int, ...] = tuple(round(FIRST_BOUND_MS * 2 ** (i / 2)) for i in range(33))
BUCKETS = len(BOUNDS_MS) + 1  # the last one is open-ended


def bucket_fields(metric: str) -> list[str]:
    """The rollup's column names of one metric's buckets: latency_b00 ... latency_b33."""
    return [f"{metric}_b{i:02d}" for i in range(BUCKETS)]


LATENCY_FIELDS = bucket_fields("latency")
TTFT_FIELDS = bucket_fields("ttft")


def bucket_range(index: int) -> tuple[int, int | None]:
    """[low, high) of a bucket in ms; high is None for the open last bucket."""
    low = 0 if index == 0 else BOUNDS_MS[index - 1]
    high = BOUNDS_MS[index] if index < len(BOUNDS_MS) else None
    return low, high


def bucket_of(value_ms: float) -> int:
    return bisect.bisect_right(BOUNDS_MS, value_ms)


def percentile(
    counts: Sequence[int],
    quantile: float,
    lowest: float | None = None,
    highest: float | None = None,
) -> float | None:
    """The `quantile` (0..1) of the values counted in `counts`; None when nothing was counted.

    The bucket is the one holding the nearest-rank value; inside it the values are taken as
    spread evenly. `lowest` and `highest`, the smallest and largest value counted when known,
    bound the answer (and stand for the open last bucket's unknown top).
    """
    estimate = _estimate(counts, quantile, highest)
    if estimate is None:
        return None
    if lowest is not None:
        estimate = max(estimate, lowest)
    if highest is not None:
        estimate = min(estimate, highest)
    return estimate


def _estimate(counts: Sequence[int], quantile: float, highest: float | None) -> float | None:
    total = sum(counts)
    if total == 0:
        return None
    # The nearest rank (1-based); the epsilon keeps 0.95 × 100 from becoming rank 96.
    rank = min(max(1, math.ceil(quantile * total - 1e-9)), total)
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            low, high = bucket_range(index)
            if high is None:
                if highest is None:
                    return float(low)
                high = max(int(math.ceil(highest)), low)
            # The rank's slot, the middle of it: ranks split the bucket into `count` slots.
            return low + (rank - seen - 0.5) / count * (high - low)
        seen += count
    return float(bucket_range(len(counts) - 1)[0])  # not reached: the counts add up to total
