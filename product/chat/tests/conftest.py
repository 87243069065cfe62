"""Chat test helpers: run a reply's job in-process, the way a worker would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.test import TestCase

from product.accounts.models import User, Workspace
from product.chat import services, streams
from product.chat.models import Conversation, Message
from product.jobs import services as job_services

# Redis Streams where the suite has Redis (CI always does); the database backend everywhere.
BACKENDS = ["redis", "database"] if django_settings.REDIS_URL else ["database"]


@pytest.fixture(params=BACKENDS)
def stream_backend(request: pytest.FixtureRequest, settings: object) -> Iterator[str]:
    """Run the test on each stream backend."""
    if request.param == "database":
        settings.REDIS_URL = ""  # type: ignore[attr-defined]
    yield request.param


@pytest.fixture(autouse=True)
def _one_stream_entry_per_delta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chat tests see each delta as its own stream entry, appended when it arrives (no deadline
    thread racing the test's assertions); test_coalescing.py tests the coalescing itself."""
    monkeypatch.setattr(services, "STREAM_COALESCE_S", 0.0)


@pytest.fixture
def conversation(alice: User, acme: Workspace) -> Conversation:
    return services.start_conversation(workspace=acme, user=alice)


def run_reply(reply: Message) -> Message:
    """Run the reply's job now, as a worker would: its ending transaction commits at once.

    (The test's own transaction never commits, so the ending's on-commit work, the stream's
    `end` entry, is run when the job returns, as a worker's commit would run it.)
    """
    reply.refresh_from_db()
    assert reply.job_id is not None
    with TestCase.captureOnCommitCallbacks(execute=True):
        job_services.run_job(reply.job_id)
    reply.refresh_from_db()
    return reply


def send(conversation: Conversation, user: User, text: str) -> services.Exchange:
    return services.send_message(conversation=conversation, author=user, text=text)


def stream_text(reply: Message) -> str:
    entries = streams.get_backend().read(reply.pk)
    return "".join(e.data for e in entries if e.kind == streams.DELTA)
