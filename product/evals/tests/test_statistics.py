"""The bootstrap that comparisons and the CI gate rest on: exact where it can be, seeded, never NaN."""

from __future__ import annotations

import math
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from product.evals.statistics import mean_interval, paired_bootstrap, percentile

scores = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=60)
# Few resamples keep the property tests quick; the properties hold for any count.
FAST = {"resamples": 200}


@settings(max_examples=150, deadline=None)
@given(values=scores, seed=st.integers(min_value=0, max_value=2**32))
def test_the_interval_contains_the_mean_and_stays_inside_the_values(
    values: list[float], seed: int
) -> None:
    interval = mean_interval(values, seed=seed, **FAST)
    assert interval.low <= interval.mean <= interval.high
    assert min(values) <= interval.low and interval.high <= max(values)
    assert interval.n == len(values)
    assert not any(math.isnan(x) for x in (interval.mean, interval.low, interval.high))


@settings(max_examples=100, deadline=None)
@given(values=scores)
def test_identical_runs_differ_by_exactly_nothing(values: list[float]) -> None:
    delta = paired_bootstrap(values, list(values), **FAST)
    assert (delta.delta, delta.low, delta.high, delta.n) == (0.0, 0.0, 0.0, len(values))


@settings(max_examples=100, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1)),
        min_size=1,
        max_size=60,
    ),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_a_paired_delta_is_seeded_and_contains_its_mean(
    pairs: list[tuple[float, float]], seed: int
) -> None:
    baseline = [b for b, _ in pairs]
    candidate = [c for _, c in pairs]
    first = paired_bootstrap(baseline, candidate, seed=seed, **FAST)
    second = paired_bootstrap(baseline, candidate, seed=seed, **FAST)
    assert first == second
    assert first.low <= first.delta <= first.high
    assert first.low >= -1.0 and first.high <= 1.0


def test_the_same_seed_gives_the_same_interval_and_another_seed_may_not() -> None:
    rng = random.Random(7)
    values = [rng.random() for _ in range(50)]
    assert mean_interval(values, seed=3) == mean_interval(values, seed=3)
    assert mean_interval(values, seed=3) != mean_interval(values, seed=4)


def test_a_clear_drop_is_confidently_negative_and_noise_is_not() -> None:
    rng = random.Random(11)
    baseline = [1.0 if rng.random() < 0.9 else 0.0 for _ in range(200)]
    dropped = [0.0 if i % 3 == 0 else value for i, value in enumerate(baseline)]
    regression = paired_bootstrap(baseline, dropped)
    assert regression.high < 0
    shuffled = list(baseline)
    random.Random(1).shuffle(shuffled)  # the same pass rate, the cases mixed: no real change
    noise = paired_bootstrap(baseline, shuffled)
    assert noise.delta == pytest.approx(0.0)
    assert noise.low < 0 < noise.high


def test_a_higher_confidence_gives_a_wider_interval() -> None:
    rng = random.Random(5)
    values = [rng.random() for _ in range(100)]
    narrow = mean_interval(values, confidence=0.8)
    wide = mean_interval(values, confidence=0.99)
    assert wide.low < narrow.low and narrow.high < wide.high


def test_one_value_is_its_own_interval() -> None:
    assert mean_interval([0.25]).low == 0.25 == mean_interval([0.25]).high


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mean_interval([]), "No scores to summarise"),
        (lambda: mean_interval([0.5, math.nan]), "nan at position 1"),
        (lambda: mean_interval([math.inf]), "inf at position 0"),
        (lambda: paired_bootstrap([], []), "No baseline scores"),
        (lambda: paired_bootstrap([1.0], [1.0, 0.0]), "1 baseline, 2 candidate"),
        (lambda: paired_bootstrap([1.0], [math.nan]), "candidate scores hold nan"),
        (lambda: mean_interval([1.0], confidence=1.0), "confidence must be between 0 and 1"),
        (lambda: mean_interval([1.0], resamples=0), "At least one resample"),
        (lambda: percentile([], 50), "No values"),
        (lambda: percentile([1.0], 101), "between 0 and 100"),
    ],
)
def test_bad_input_raises_a_clear_error_never_a_nan(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_percentiles_interpolate_like_the_usual_definition() -> None:
    latencies = [100.0, 200.0, 300.0, 400.0, 1000.0]
    assert percentile(latencies, 50) == 300.0
    assert percentile(latencies, 0) == 100.0
    assert percentile(latencies, 100) == 1000.0
    assert percentile(latencies, 95) == pytest.approx(880.0)
    assert percentile([7.0], 95) == 7.0


def test_a_thousand_cases_with_the_default_resamples_take_under_two_seconds() -> None:
    rng = random.Random(2)
    baseline = [rng.random() for _ in range(1000)]
    candidate = [min(1.0, value + rng.gauss(0, 0.1)) for value in baseline]
    started = time.process_time()
    mean_interval(candidate)
    paired_bootstrap(baseline, candidate)
    # About 1 s on the 2-core CI machine; the bound leaves room for a loaded one.
    assert time.process_time() - started < 4.0
