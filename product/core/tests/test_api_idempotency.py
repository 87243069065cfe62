"""run_idempotent (product/core/idempotency.py): replay, conflicts, failures, races on Postgres."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.db import connection, connections

from product.accounts.models import User, Workspace
from product.accounts.tests.factories import UserFactory, WorkspaceFactory
from product.apikeys.auth import Actor
from product.core.errors import KeelError
from product.core.idempotency import run_idempotent
from product.core.models import IdempotencyRecord


class Work:
    """A `create` callback that does real work (a row) and counts its runs."""

    def __init__(self, *, status: int = 201, fail_with: Exception | None = None) -> None:
        self.runs = 0
        self.status = status
        self.fail_with = fail_with
        self.lock = threading.Lock()

    def __call__(self) -> tuple[int, Any]:
        with self.lock:
            self.runs += 1
        if self.fail_with is not None:
            raise self.fail_with
        made = Workspace.objects.create(name=f"work-{uuid.uuid4()}")
        return self.status, {"id": str(made.id)}


@pytest.fixture
def who(alice: User, acme: Workspace) -> Actor:
    return Actor(user=alice, workspace=acme)


def run(who: Actor, work: Work, key: str | None, payload: Any = None) -> tuple[int, Any]:
    return run_idempotent(
        actor=who, scope="test.create", key=key, payload=payload or {"a": 1}, create=work
    )


def _work_rows() -> int:
    return Workspace.objects.filter(name__startswith="work-").count()


def test_it_replays_the_first_response(who: Actor) -> None:
    work = Work()
    first = run(who, work, "k1")
    second = run(who, work, "k1")
    assert first == second
    assert first[0] == 201
    assert work.runs == 1
    assert _work_rows() == 1


def test_it_ignores_key_order_in_the_body(who: Actor) -> None:
    work = Work()
    first = run(who, work, "k1", {"a": 1, "b": [1, 2]})
    assert run(who, work, "k1", {"b": [1, 2], "a": 1}) == first
    assert work.runs == 1


def test_it_refuses_the_same_key_with_a_different_body(who: Actor) -> None:
    work = Work()
    run(who, work, "k1", {"a": 1})
    with pytest.raises(KeelError) as caught:
        run(who, work, "k1", {"a": 2})
    assert caught.value.status == 409
    assert caught.value.code == "idempotency_key_reused"
    assert work.runs == 1


def test_it_runs_every_time_without_a_key(who: Actor) -> None:
    work = Work()
    run(who, work, None)
    run(who, work, "")
    assert work.runs == 2
    assert not IdempotencyRecord.objects.exists()


def test_it_refuses_an_overlong_key(who: Actor) -> None:
    with pytest.raises(KeelError) as caught:
        run(who, Work(), "k" * 256)
    assert caught.value.status == 422


def test_it_does_not_burn_the_key_on_a_failed_attempt(who: Actor) -> None:
    failing = Work(status=400)
    assert run(who, failing, "k1")[0] == 400
    assert _work_rows() == 0  # the failed attempt's writes rolled back with the claim
    assert not IdempotencyRecord.objects.exists()
    fixed = Work()
    assert run(who, fixed, "k1")[0] == 201
    assert fixed.runs == 1


def test_it_does_not_burn_the_key_when_the_work_raises(who: Actor) -> None:
    with pytest.raises(KeelError):
        run(who, Work(fail_with=KeelError("No budget left.", code="over_budget", status=402)), "k1")
    assert not IdempotencyRecord.objects.exists()
    assert run(who, Work(), "k1")[0] == 201


def test_it_scopes_keys_to_the_workspace(who: Actor, charlie: User) -> None:
    corner = Workspace.objects.get(name="Charlie's corner")
    other = Actor(user=charlie, workspace=corner)
    work = Work()
    mine, theirs = run(who, work, "shared"), run(other, work, "shared")
    assert work.runs == 2
    assert mine != theirs


@pytest.mark.django_db(transaction=True)
def test_it_runs_concurrent_requests_with_one_key_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions (Postgres); SQLite serialises writers")
    owner = UserFactory()
    workspace = WorkspaceFactory(owner=owner)
    who = Actor(user=owner, workspace=workspace)
    barrier = threading.Barrier(6)
    results: list[tuple[int, Any]] = []
    errors: list[BaseException] = []

    class SlowWork(Work):
        def __call__(self) -> tuple[int, Any]:
            import time

            time.sleep(0.3)  # hold the claim while the others pile up on the unique index
            return super().__call__()

    work = SlowWork()

    def request() -> None:
        try:
            barrier.wait()
            results.append(run(who, work, "race"))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert work.runs == 1
    assert len(results) == 6
    assert len(set(map(str, results))) == 1
    assert _work_rows() == 1
