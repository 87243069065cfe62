"""Idempotent POSTs: a replay of the same `Idempotency-Key` returns the first response.

A client that retries a POST after a timeout must not create the work twice. The first request with
a key claims a row (unique on workspace + scope + key) inside the same transaction as the work it
creates; a replay finds the row and returns the stored response; the same key with a different body
is a 409. Two racing requests with one key: the loser waits on the unique index, then replays.

    @router.post("/jobs", response={201: JobOut})
    def create_job(request, payload: JobIn, idempotency_key: IdempotencyKeyHeader = None):
        who = require_scope(request, "write")
        return run_idempotent(
            actor=who, scope="jobs.create", key=idempotency_key, payload=payload.model_dump(mode="json"),
            create=lambda: (201, JobOut.from_job(services.submit_job(...)).model_dump(mode="json")),
        )
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import Model
from ninja import Header

from product.core.errors import Conflict, InvalidInput
from product.core.models import IdempotencyRecord

MAX_KEY_LENGTH = 255
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Any unique string (a UUID is good). A retry with the same key and body returns "
        "the first response instead of creating the work again.",
    ),
]


class Caller(Protocol):
    """Whoever calls (product.apikeys.auth.Actor): keys are scoped to the workspace it acts in."""

    @property
    def workspace(self) -> Model: ...


def fingerprint(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> tuple[int, Any]:
    if record.fingerprint != digest:
        raise Conflict(
            "This Idempotency-Key was already used with a different request body.",
            code="idempotency_key_reused",
        )
    if record.status_code is None:
        raise Conflict(
            "A request with this Idempotency-Key is still running.", code="idempotency_in_progress"
        )
    return record.status_code, record.response


def run_idempotent(
    *,
    actor: Caller,
    scope: str,
    key: str | None,
    payload: Any,
    create: Callable[[], tuple[int, Any]],
) -> tuple[int, Any]:
    """Run `create` once per (workspace, scope, key); `create` returns (status, JSON-able body)."""
    if not key:
        return create()
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters.",
            code="invalid_idempotency_key",
        )
    digest = fingerprint(payload)
    existing = IdempotencyRecord.objects.filter(
        workspace_id=actor.workspace.pk, scope=scope, key=key
    ).first()
    if existing is not None:
        return _replay(existing, digest)
    with transaction.atomic():
        try:
            # A savepoint around the claim only: an IntegrityError raised by the work itself
            # must surface as the bug it is, not be mistaken for a lost race.
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    workspace_id=actor.workspace.pk, scope=scope, key=key, fingerprint=digest
                )
        except IntegrityError:
            # A concurrent request with the same key got there first. Its insert blocked ours
            # until it committed (or rolled back, and then ours would have succeeded): replay it.
            winner = IdempotencyRecord.objects.filter(
                workspace_id=actor.workspace.pk, scope=scope, key=key
            ).first()
            if winner is None:
                raise Conflict(
                    "A request with this Idempotency-Key is still running.",
                    code="idempotency_in_progress",
                ) from None
            return _replay(winner, digest)
        status, body = create()
        if status >= 400:
            # A failed attempt does not burn the key: the client may fix the cause and retry.
            # (An exception raised by `create` rolls the claim back the same way.)
            transaction.set_rollback(True)
            return status, body
        record.status_code = status
        record.response = body
        record.save(update_fields=["status_code", "response"])
        return status, body
