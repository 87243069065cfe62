"""The statistics of evaluation: how sure a mean score is, and whether a change is beyond the noise.

Percentile bootstrap, in pure Python (no numpy in Keel): resample the values with replacement many
times, take each resample's mean, and read the interval off the sorted means. Every function takes
a `seed` and draws from its own `random.Random(seed)`, so the same scores give the same interval on
every machine and every run: a CI gate built on it never flickers.

- `mean_interval(values)`: the mean of a grader's scores with a confidence interval.
- `paired_bootstrap(baseline, candidate)`: the mean of per-case differences (candidate − baseline,
  cases paired by item) with its interval. Pairing removes the spread *between* cases (some are
  hard for every prompt), so a real change shows through far less data than two separate means.
- `percentile(values, q)`: linear-interpolated percentile (numpy's default), for latency p50/p95.

Inputs are checked: empty input, NaN or infinities raise ValueError with a message, never a NaN out.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class PairedDelta:
    delta: float  # mean of candidate − baseline
    low: float
    high: float
    n: int


def _checked(values: Sequence[float], name: str) -> list[float]:
    floats = [float(v) for v in values]
    if not floats:
        raise ValueError(f"No {name} to summarise: the list is empty.")
    for index, value in enumerate(floats):
        if not math.isfinite(value):
            raise ValueError(f"The {name} hold {value} at position {index}: only numbers count.")
    return floats


def _check_options(confidence: float, resamples: int) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"The confidence must be between 0 and 1, not {confidence}.")
    if resamples < 1:
        raise ValueError(f"At least one resample is needed, not {resamples}.")


def _mean(values: Sequence[float]) -> float:
    # fsum: the exact sum, rounded once, so equal inputs give equal means whatever their order.
    return math.fsum(values) / len(values)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between the closest ranks."""
    ordered = sorted(_checked(values, "values"))
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"A percentile is between 0 and 100, not {q}.")
    return _interpolated(ordered, q / 100.0)


def _interpolated(ordered: list[float], fraction: float) -> float:
    position = fraction * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    weight = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * weight


def _bootstrap(
    values: list[float], *, confidence: float, resamples: int, seed: int
) -> tuple[float, float, float]:
    """(mean, low, high) of the percentile bootstrap of the mean of `values`."""
    mean = _mean(values)
    low_value, high_value = min(values), max(values)
    if low_value == high_value:
        # Every resample is the same: the interval is the point (and no float noise creeps in).
        return low_value, low_value, low_value
    rng = random.Random(seed)  # noqa: S311 (reproducible resampling, not secrets)
    n = len(values)
    # One `choices` call per resample: of the pure-Python resamplers tried (index maps over
    # random bytes, iterator chains) the plainest is the fastest, about 0.15 µs a draw, so
    # n = 1000 × 5000 resamples takes under a second (bench/evals_graders.py measures it).
    draw = rng.choices
    means = sorted(sum(draw(values, k=n)) / n for _ in range(resamples))
    alpha = (1.0 - confidence) / 2.0
    low = _interpolated(means, alpha)
    high = _interpolated(means, 1.0 - alpha)
    # The observed mean always lies inside the reported interval (with few resamples or extreme
    # skew a percentile interval could miss it by a hair, which would read as nonsense).
    # Clamped to the values' range too: float sums of a resample may stray past it by an ulp.
    mean = min(max(mean, low_value), high_value)
    return mean, max(min(low, mean), low_value), min(max(high, mean), high_value)


def mean_interval(
    values: Sequence[float], *, confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> Interval:
    """The mean of `values` with its percentile-bootstrap confidence interval."""
    _check_options(confidence, resamples)
    checked = _checked(values, "scores")
    mean, low, high = _bootstrap(checked, confidence=confidence, resamples=resamples, seed=seed)
    return Interval(mean=mean, low=low, high=high, n=len(checked))


def paired_bootstrap(
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = 5000,
    seed: int = 0,
) -> PairedDelta:
    """The mean change candidate − baseline over paired cases, with its bootstrap interval.

    `baseline[i]` and `candidate[i]` are the same case's scores. A regression is confident when
    `high` is below zero (and larger than a tolerated drop when `high < -max_drop`).
    """
    _check_options(confidence, resamples)
    before = _checked(baseline, "baseline scores")
    after = _checked(candidate, "candidate scores")
    if len(before) != len(after):
        raise ValueError(
            f"Paired scores need one candidate per baseline case: {len(before)} baseline, "
            f"{len(after)} candidate."
        )
    differences = [b - a for a, b in zip(before, after, strict=True)]
    delta, low, high = _bootstrap(
        differences, confidence=confidence, resamples=resamples, seed=seed
    )
    return PairedDelta(delta=delta, low=low, high=high, n=len(differences))
