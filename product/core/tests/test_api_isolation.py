"""Walks EVERY route of the live OpenAPI schema: workspaces are sealed from each other.

For each operation, alice (owner of Acme) first gets a real object for every path parameter: made
by a factory in OBJECT_MAKERS, or else created through the API itself by POSTing an example body
(built from the schema's examples/defaults) to the collection route above the parameter. Then:
- charlie, with a full-scope key of his own workspace, gets a 404 for every route that names one
  of alice's objects, and never sees one of her ids in any other answer;
- a key without the needed scope gets a 403 (write routes need `write`, reads need `read`);
- no key at all gets a 401.
A route added later is covered automatically; if its objects cannot be made, the test fails and
says which maker to add. It never skips.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from ninja.responses import NinjaJSONEncoder

from product.accounts.models import User, Workspace
from product.api import api
from product.apikeys.tests.factories import bearer, make_key
from product.evals import services as eval_services
from product.evals.models import Dataset
from product.evals.tests.factories import DatasetFactory, FeedbackFactory, RunFactory
from product.jobs.models import Job
from product.jobs.tests.factories import JobFactory
from product.knowledge.tests.factories import DocumentFactory
from product.observability.tests.factories import TraceFactory

SCHEMA: dict[str, Any] = json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))
PARAM = re.compile(r"\{(\w+)\}")
WRITE_METHODS = {"post", "put", "patch", "delete"}
OPERATIONS = [
    (method, path, operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if operation.get("security")
]
IDS = [f"{method.upper()} {path}" for method, path, _ in OPERATIONS]
# Routes any valid key may call whatever its scopes: "who am I" must work for every key.
SCOPE_FREE = {"GET /api/v1/me"}
# Reads that take their question as a body (POST): a read-only key may call them.
READS_BY_POST = {"POST /api/v1/collections/{collection_id}/search"}

# Objects the API cannot create itself (keys are made in the app, by a person; jobs are made by
# the features that own them, each through its own route; documents are multipart uploads and
# passages come out of their ingestion).
OBJECT_MAKERS: dict[str, Callable[[User, Workspace], str]] = {
    "key_id": lambda user, workspace: str(
        make_key(user=user, workspace=workspace, name="alice's object").key.id
    ),
    "job_id": lambda user, workspace: str(
        JobFactory(workspace=workspace, created_by=user, status=Job.Status.QUEUED).id
    ),
    "document_id": lambda user, workspace: str(
        DocumentFactory(workspace=workspace, created_by=user).id
    ),
    "passage_id": lambda user, workspace: str(
        DocumentFactory(workspace=workspace, created_by=user).chunks.get().id
    ),
    # Feedback rates a feature's answer; an item lives in the dataset its path names (made
    # just before, by POST /datasets).
    "feedback_id": lambda user, workspace: str(FeedbackFactory(workspace=workspace, user=user).id),
    "item_key": lambda user, workspace: _item_key(user, workspace),
    # A run needs a dataset version with items: the factory makes both (and its job).
    "run_id": lambda user, workspace: str(RunFactory(workspace=workspace, created_by=user).id),
    # Traces are written by the recorder as requests and jobs run, never through the API.
    "trace_id": lambda user, workspace: TraceFactory(workspace=workspace, user=user).trace_id,
}


def _item_key(user: User, workspace: Workspace) -> str:
    dataset = Dataset.objects.filter(workspace=workspace).order_by("-created_at").first()
    if dataset is None:
        dataset = DatasetFactory(workspace=workspace, created_by=user)
    item = eval_services.add_item(
        dataset=dataset, user=user, input={"task": "summarise", "text": "alice's object"}
    )
    return str(item.key)


def _resolve(ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in ref_or_schema:
        name = ref_or_schema["$ref"].rsplit("/", 1)[1]
        ref_or_schema = SCHEMA["components"]["schemas"][name]
    return ref_or_schema


def example_for(schema: dict[str, Any]) -> Any:
    """A valid value from the schema's own examples, defaults and constraints."""
    schema = _resolve(schema)
    for key in ("examples", "example", "default", "const", "enum"):
        if key in schema:
            value = schema[key]
            return value[0] if key in ("examples", "enum") else value
    if "anyOf" in schema or "oneOf" in schema:
        variants = schema["anyOf"] if "anyOf" in schema else schema["oneOf"]
        options = [s for s in variants if s.get("type") != "null"]
        return example_for(options[0])
    if "allOf" in schema:
        return example_for(schema["allOf"][0])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: example_for(prop)
            for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", []) or "examples" in _resolve(prop)
        }
    if kind == "array":
        return []
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return schema.get("minimum", 1.0)
    if kind == "boolean":
        return False
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    return "x" * max(1, schema.get("minLength", 7))


def body_for(operation: dict[str, Any]) -> str | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return json.dumps(example_for(content["application/json"]["schema"]))


class World:
    """Alice's objects, made once per test, and the keys of everyone involved."""

    def __init__(self, client: Client, alice: User, acme: Workspace, charlie: User) -> None:
        self.client = client
        self.alice, self.acme = alice, acme
        self.corner = Workspace.objects.get(name="Charlie's corner")
        self.alice_key = bearer(make_key(user=alice, workspace=acme, name="alice"))
        self.charlie_key = bearer(make_key(user=charlie, workspace=self.corner, name="charlie"))
        self.alice_read_only = bearer(make_key(user=alice, workspace=acme, scopes=("read",)))
        self.alice_write_only = bearer(make_key(user=alice, workspace=acme, scopes=("write",)))
        self.objects: dict[str, str] = {}

    def call(self, method: str, url: str, auth: dict[str, str], body: str | None) -> Any:
        kwargs: dict[str, Any] = dict(auth)
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(self.client, method)(url, **kwargs)

    def fill(self, path: str) -> str:
        return PARAM.sub(lambda m: self.object_id(m.group(1), path), path)

    def object_id(self, param: str, path: str) -> str:
        if param in self.objects:
            return self.objects[param]
        if param in OBJECT_MAKERS:
            made = OBJECT_MAKERS[param](self.alice, self.acme)
        else:
            made = self._create_through_the_api(param, path)
        self.objects[param] = made
        return made

    def _create_through_the_api(self, param: str, path: str) -> str:
        collection = path[: path.index("{" + param + "}")].rstrip("/")
        if "post" not in SCHEMA["paths"].get(collection, {}):
            # A flat route (/messages/{message_id}) over a nested collection
            # (/conversations/{conversation_id}/messages): create where the collection lives.
            last = collection.rsplit("/", 1)[1]
            nested = [
                p
                for p, item in SCHEMA["paths"].items()
                if p.endswith("/" + last) and "post" in item
            ]
            collection = nested[0] if nested else collection
        create = SCHEMA["paths"].get(collection, {}).get("post")
        if create is None:
            pytest.fail(
                f"Cannot make an object for {{{param}}} in {path}: there is no POST {collection}. "
                "Add a maker for it to OBJECT_MAKERS in product/core/tests/test_api_isolation.py."
            )
        response = self.call("post", self.fill(collection), self.alice_key, body_for(create))
        if response.status_code >= 300:
            pytest.fail(
                f"POST {collection} with its schema example answered {response.status_code}: "
                f"{response.content[:500]!r}. Give the In schema examples that make a valid body, "
                "or add a maker to OBJECT_MAKERS."
            )
        found = _find_id(response.json(), param)
        if found is None:
            pytest.fail(
                f"POST {collection} answered no id usable for {{{param}}}: {response.json()}"
            )
        return found


def _find_id(body: Any, param: str) -> str | None:
    if not isinstance(body, dict):
        return None
    stem = param.removesuffix("_id")
    for candidate in (body.get(param), body.get("id")):
        if isinstance(candidate, str):
            return candidate
    # An answer that wraps the object: {"message": {...}} or {"user_message": {...}, ...}.
    for name, nested in body.items():
        wraps_it = name == stem or name.endswith("_" + stem)
        if wraps_it and isinstance(nested, dict) and isinstance(nested.get("id"), str):
            return str(nested["id"])
    return None


@pytest.fixture
def world(client: Client, alice: User, acme: Workspace, charlie: User) -> World:
    cache.clear()
    return World(client, alice, acme, charlie)


def test_it_walks_a_schema_with_routes() -> None:
    assert len(OPERATIONS) >= 4
    assert any(PARAM.search(path) for _, path, _ in OPERATIONS)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_it_seals_every_route(
    world: World, method: str, path: str, operation: dict[str, Any]
) -> None:
    # One test per route, three callers (alice's objects are made once): cheaper than three.
    url = world.fill(path)
    body = body_for(operation)
    label = f"{method.upper()} {path}"

    anonymous = world.call(method, url, {}, body)
    assert anonymous.status_code == 401, (label, anonymous.status_code, anonymous.content[:300])
    assert anonymous["WWW-Authenticate"].startswith("Bearer")

    if label not in SCOPE_FREE:
        writes = method in WRITE_METHODS and label not in READS_BY_POST
        wrong = world.alice_read_only if writes else world.alice_write_only
        refused = world.call(method, url, wrong, body)
        assert refused.status_code == 403, (label, refused.status_code, refused.content[:300])
        assert refused.json()["error"]["code"] == "missing_scope"

    response = world.call(method, url, world.charlie_key, body)
    if PARAM.search(path):
        assert response.status_code == 404, (label, response.status_code, response.content[:300])
        assert response.json()["error"]["code"] == "not_found"
    else:
        assert response.status_code < 500, (label, response.content[:300])
    text = response.content.decode(errors="replace")
    for param, object_id in world.objects.items():
        if f"{{{param}}}" in path:
            continue  # the URL itself named it; the 404 above is the check
        assert object_id not in text, f"{label} leaked alice's {param} to charlie"
