from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from product.accounts.models import User, Workspace
from product.jobs.models import Job
from product.jobs.tests import handlers_for_tests


@pytest.fixture(autouse=True)
def _clear_recorded_calls() -> None:
    handlers_for_tests.calls.clear()


@pytest.fixture
def make_job(acme: Workspace, alice: User) -> Callable[..., Job]:
    def make(kind: str = "test.echo", **fields: Any) -> Job:
        fields.setdefault("input", {"text": "hello"})
        return Job.objects.create(workspace=acme, created_by=alice, kind=kind, **fields)

    return make
