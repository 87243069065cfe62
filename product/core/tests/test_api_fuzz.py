"""schemathesis against the live schema, in process (WSGI): no input gives a 500, and every
answer conforms to the schema (status codes, content types, bodies). Routes added later are
fuzzed automatically. Bounded so the whole file stays well under a minute in CI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from product.accounts.models import User, Workspace
from product.apikeys.tests.factories import make_key
from product.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_key(alice: User, acme: Workspace) -> Iterator[str]:
    # The raw WSGI handler closes the DB connection after each request (Django's test Client
    # avoids that the same way): keep it, so the app sees the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cache.clear()
    try:
        yield make_key(user=alice, workspace=acme, name="fuzz").full_key
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    # ~20 operations x 12 examples: about 30 s here; raise KEEL_FUZZ_EXAMPLES for a deeper run.
    max_examples=int(os.environ.get("KEEL_FUZZ_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_it_survives_any_input(case: Any, api_key: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {api_key}"}, checks=CHECKS)
