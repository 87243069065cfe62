"""schemathesis against the live schema, in process (WSGI), with every check it has: no input gives
a 500, every answer's status, content type, headers and body are the ones the schema declares,
data that breaks the schema (negative mode, wrong and missing `Content-Type`, unsupported methods,
missing headers) is refused with a 4xx, and data that fits it is accepted. Its examples, coverage
and fuzzing phases run per operation; a state machine follows the links schemathesis infers between
operations (create a conversation, then read, rename and post to it, ...). Routes added later are
fuzzed automatically. Bounded so the file stays around a minute on two cores; raise
KEEL_FUZZ_EXAMPLES / KEEL_FUZZ_STEPS for a deeper run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from product.accounts.models import User, Workspace
from product.apikeys.tests.factories import make_key
from product.wsgi import application

load_all_checks()
ALL_CHECKS: list[Any] = list(CHECKS.get_all())
# Inputs checked beyond what a schema can say, so a schema-valid one may rightly be refused, in
# words: an upload's content (its type by its first bytes, and a part must be a file, with a
# name); an evaluation item's input, which must fit its dataset's target (registered in code, so
# the schema names no targets), and an import's rows, each checked the same way; a run's prompt
# version, graders and their params (registered in code too) and its concurrency cap (a setting),
# a resume, which only a failed or cancelled run takes, and a comparison's 2 to 5 runs (counted
# after the key's scope, so a read-only check answers first); a usage period, whose `until` must
# not come before its `since` (default: the first of this month) and which spans 366 days at most.
CHECKED_BEYOND_THE_SCHEMA = (
    "get_usage",
    "create_run",
    "resume_run",
    "get_comparison",
    "upload_document",
    "import_dataset_items",
    "create_dataset",
    "create_dataset_item",
    "update_dataset_item",
    "create_feedback",
    "add_feedback_to_dataset",
)
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-operation-id": operation_id,
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": [
                            "2xx",
                            "401",
                            "403",
                            "404",
                            "409",
                            "413",
                            "422",
                            "429",
                        ]
                    }
                },
            }
            for operation_id in CHECKED_BEYOND_THE_SCHEMA
        ]
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)
# In the state machine the SSE route would get real reply ids, and the stream of a reply no worker
# writes waits for it; alone (below) it gets unknown ids and answers its errors.
without_streams = schema.exclude(operation_id="stream_message")


def page_from_the_start(case: Any) -> None:
    # A cursor is opaque: any string fits its schema, but only one a list gave (`next`) is valid,
    # so a made-up one is rightly a 422 `invalid_cursor` (test_api_pagination.py tests those).
    # Schema-valid cases page from the start; negative ones keep their broken cursors.
    if case.meta is not None and case.meta.generation.mode.is_positive and case.query:
        case.query.pop("cursor", None)


QUICK = settings(
    max_examples=int(os.environ.get("KEEL_FUZZ_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


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
@QUICK
def test_it_survives_any_input(case: Any, api_key: str) -> None:
    page_from_the_start(case)
    case.call_and_validate(headers={"Authorization": f"Bearer {api_key}"}, checks=ALL_CHECKS)


def test_it_survives_any_sequence_of_calls(api_key: str) -> None:
    class Workflow(without_streams.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            page_from_the_start(case)
            # A link inferred from a field that was null (a conversation's `collection_id`)
            # fills a path with "None": no object has that id, as for any id that names none.
            for name, value in (case.path_parameters or {}).items():
                if value is None or value == "None":
                    case.path_parameters[name] = str(uuid.uuid4())

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {api_key}"}}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=ALL_CHECKS, **kwargs)

    Workflow.run(
        settings=settings(
            QUICK,
            max_examples=int(os.environ.get("KEEL_FUZZ_STEPS", "10")),
            stateful_step_count=6,
        )
    )
