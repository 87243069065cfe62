from __future__ import annotations

from collections.abc import Iterator

import pytest

from product.evals.tests import targets_for_tests


@pytest.fixture(autouse=True)
def _no_leftover_answers() -> Iterator[None]:
    yield
    targets_for_tests.ANSWERS.clear()
