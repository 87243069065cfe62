"""Retention removes exactly what is older than each window, and nothing else; the ledger's
numbers stay; 0 keeps everything; the beat runs it hourly on the default queue."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.chat.models import StreamEntry
from product.core import retention
from product.core.models import IdempotencyRecord
from product.llm.models import LLMCall
from product.observability import tasks
from product.observability.retention import prune_everything
from worker.celery import app

NOW = timezone.now()
JUST_INSIDE = timedelta(minutes=1)  # a row this much younger than the window stays...
JUST_OUTSIDE = -timedelta(minutes=1)  # ...and one this much older goes


@pytest.fixture(autouse=True)
def windows(settings: Any) -> None:
    settings.IDEMPOTENCY_RETENTION_HOURS = 24
    settings.STREAM_ENTRY_RETENTION_HOURS = 6
    settings.LLM_BODY_RETENTION_DAYS = 30


def at(window: timedelta, offset: timedelta) -> datetime:
    return NOW - window + offset


def idempotency_record(acme: Workspace, created_at: datetime) -> IdempotencyRecord:
    record = IdempotencyRecord.objects.create(
        workspace=acme, scope="test.create", key=str(uuid.uuid4()), fingerprint="f", status_code=201
    )
    # auto_now_add ignores a value given at create: set it after.
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=created_at)
    return record


def stream_entry(created_at: datetime, kind: str = "delta") -> StreamEntry:
    entry = StreamEntry.objects.create(message_id=uuid.uuid4(), kind=kind, data="text")
    StreamEntry.objects.filter(pk=entry.pk).update(created_at=created_at)
    return entry


def ledger_row(acme: Workspace, alice: User, created_at: datetime, *, bodies: bool) -> LLMCall:
    return LLMCall.objects.create(
        workspace=acme,
        user=alice,
        feature="test",
        model="keel-dev-small",
        status=LLMCall.Status.SUCCEEDED,
        input_tokens=12,
        output_tokens=34,
        cost_usd=Decimal("0.000123"),
        latency_ms=250,
        trace_id="a" * 32,
        span_id="b" * 16,
        request_messages=[{"role": "user", "content": "hello"}] if bodies else None,
        response_text="hi there" if bodies else None,
        request_chars=5,
        response_chars=8,
        created_at=created_at,
    )


def ids(queryset: Any) -> set[Any]:
    return set(queryset.values_list("pk", flat=True))


def test_it_prunes_idempotency_records_older_than_the_window(acme: Workspace) -> None:
    window = timedelta(hours=24)
    kept = {
        idempotency_record(acme, at(window, JUST_INSIDE)).pk,
        idempotency_record(acme, NOW).pk,
    }
    idempotency_record(acme, at(window, JUST_OUTSIDE))
    idempotency_record(acme, NOW - timedelta(days=400))
    assert prune_everything(NOW)["idempotency_records"] == 2
    assert ids(IdempotencyRecord.objects.all()) == kept


def test_it_prunes_stream_entries_older_than_the_window_ended_or_not(db: None) -> None:
    window = timedelta(hours=6)
    kept = {stream_entry(at(window, JUST_INSIDE)).pk, stream_entry(NOW).pk}
    stream_entry(at(window, JUST_OUTSIDE))  # a stream that never got its end entry
    stream_entry(at(window, JUST_OUTSIDE), kind="end")
    assert prune_everything(NOW)["stream_entries"] == 2
    assert ids(StreamEntry.objects.all()) == kept


def test_it_empties_old_bodies_and_keeps_the_ledgers_numbers(alice: User, acme: Workspace) -> None:
    window = timedelta(days=30)
    old = ledger_row(acme, alice, at(window, JUST_OUTSIDE), bodies=True)
    recent = ledger_row(acme, alice, at(window, JUST_INSIDE), bodies=True)
    never_had_any = ledger_row(acme, alice, at(window, JUST_OUTSIDE), bodies=False)

    assert prune_everything(NOW)["model_bodies"] == 1

    old.refresh_from_db()
    assert (old.request_messages, old.response_text) == (None, None)
    # SQL NULL, not JSON null: what "no body" means everywhere else.
    assert LLMCall.objects.filter(pk=old.pk, request_messages__isnull=True).exists()
    assert (old.input_tokens, old.output_tokens, old.cost_usd, old.latency_ms) == (
        12,
        34,
        Decimal("0.000123"),
        250,
    )
    assert (old.request_chars, old.response_chars) == (5, 8)
    assert (old.trace_id, old.span_id, old.status) == ("a" * 32, "b" * 16, "succeeded")
    recent.refresh_from_db()
    assert recent.request_messages == [{"role": "user", "content": "hello"}]
    assert recent.response_text == "hi there"
    assert LLMCall.objects.count() == 3 and never_had_any.pk in ids(LLMCall.objects.all())
    # A second pass finds nothing left to do.
    assert prune_everything(NOW)["model_bodies"] == 0


def test_a_window_of_zero_keeps_everything(settings: Any, alice: User, acme: Workspace) -> None:
    settings.IDEMPOTENCY_RETENTION_HOURS = 0
    settings.STREAM_ENTRY_RETENTION_HOURS = 0
    settings.LLM_BODY_RETENTION_DAYS = 0
    long_ago = NOW - timedelta(days=3650)
    idempotency_record(acme, long_ago)
    stream_entry(long_ago)
    ledger_row(acme, alice, long_ago, bodies=True)
    assert prune_everything(NOW) == {
        "idempotency_records": 0,
        "model_bodies": 0,
        "stream_entries": 0,
    }
    assert IdempotencyRecord.objects.count() == StreamEntry.objects.count() == 1
    assert LLMCall.objects.get().response_text == "hi there"


def test_it_works_through_a_backlog_in_batches(db: None) -> None:
    for _ in range(5):
        stream_entry(NOW - timedelta(days=2))
    keep = stream_entry(NOW)
    old = StreamEntry.objects.filter(created_at__lt=NOW - timedelta(days=1))
    assert retention.delete_in_batches(old, batch_size=2) == 5
    assert ids(StreamEntry.objects.all()) == {keep.pk}


def test_the_command_prints_what_it_pruned(acme: Workspace) -> None:
    idempotency_record(acme, NOW - timedelta(days=2))
    out = StringIO()
    call_command("prune", stdout=out)
    lines = out.getvalue().splitlines()
    assert "idempotency_records: 1" in lines
    assert {line.split(":")[0] for line in lines} == {
        "idempotency_records",
        "model_bodies",
        "stream_entries",
    }


def test_the_beat_prunes_every_hour_on_the_default_queue(acme: Workspace) -> None:
    entry = app.conf.beat_schedule["prune-retention"]
    assert entry["task"] == "observability.prune" == tasks.prune.name
    assert entry["schedule"] == 3600
    assert app.conf.task_routes["observability.prune"] == {"queue": "default"}
    assert "observability.prune" in app.tasks
    idempotency_record(acme, NOW - timedelta(days=2))
    assert tasks.prune()["idempotency_records"] == 1
