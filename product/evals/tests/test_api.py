"""The evaluation API: feedback (rate, re-rate, list, into a dataset), datasets and items with
their versions, import (multipart, per-row 422) and export; scopes and outsiders' 404s."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from product.accounts.models import User, Workspace
from product.apikeys.tests.factories import bearer, make_key
from product.evals import io
from product.evals.models import Dataset, DatasetItem, DatasetVersion, Feedback
from product.evals.tests.answers import answered_question

pytestmark = pytest.mark.usefixtures("devmodel_llm")
CASES = "".join(
    json.dumps(row) + "\n"
    for row in [
        {"key": "launch", "input": {"text": "We launch on April 3."}, "reference": "April 3"},
        {"input": {"text": "Prices rise by $40.", "task": "key_points"}, "tags": ["money"]},
    ]
)


def post(client: Client, path: str, body: Any, headers: dict[str, Any], **extra: Any) -> Any:
    return client.post(
        path, data=json.dumps(body), content_type="application/json", **headers, **extra
    )


def upload(
    client: Client,
    dataset_id: str,
    content: str | bytes,
    headers: dict[str, Any],
    name: str = "cases.jsonl",
    **fields: Any,
) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = content.encode() if isinstance(content, str) else content
    return client.post(
        f"/api/v1/datasets/{dataset_id}/import",
        {"file": SimpleUploadedFile(name, data), **fields},
        **headers,
    )


@pytest.fixture
def dataset_id(client: Client, alice_api: dict[str, Any]) -> str:
    response = post(
        client, "/api/v1/datasets", {"name": "Summaries", "target": "ask.once"}, alice_api
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["current_version"] == 0
    return str(body["id"])


@pytest.mark.django_db
def test_it_rates_an_answer_re_rates_it_and_lists_with_filters(
    client: Client, alice_api: dict[str, Any], alice: User, acme: Workspace
) -> None:
    question = answered_question(acme, alice)
    body = {
        "target": "ask.once",
        "subject_id": str(question.pk),
        "rating": "down",
        "comment": "Vague",
    }
    first = post(client, "/api/v1/feedback", body, alice_api)
    assert first.status_code == 201, first.content
    rated = first.json()
    assert rated["example"]["output"] == "A short summary."
    assert rated["example"]["input"] == {"task": "summarise", "text": question.text}
    assert rated["llm_call_id"] == (question.job.result or {})["call_id"]
    again = post(client, "/api/v1/feedback", {**body, "rating": "up", "comment": ""}, alice_api)
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["rating"], again.json()["comment"]) == (
        rated["id"],
        "up",
        "",
    )
    assert Feedback.objects.count() == 1

    assert len(client.get("/api/v1/feedback?rating=up", **alice_api).json()["items"]) == 1
    assert client.get("/api/v1/feedback?rating=down", **alice_api).json()["items"] == []
    assert client.get("/api/v1/feedback?target=chat.reply", **alice_api).json()["items"] == []
    assert client.get(f"/api/v1/feedback/{rated['id']}", **alice_api).json()["rating"] == "up"


@pytest.mark.django_db
def test_it_refuses_feedback_on_an_answer_that_is_not_there(
    client: Client,
    alice_api: dict[str, Any],
    charlie_api: dict[str, Any],
    alice: User,
    acme: Workspace,
) -> None:
    question = answered_question(acme, alice)
    body = {"target": "ask.once", "subject_id": str(question.pk), "rating": "up"}
    refused = post(client, "/api/v1/feedback", body, charlie_api)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "no_such_answer"
    unknown = post(client, "/api/v1/feedback", {**body, "target": "nope"}, alice_api)
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_target"
    assert post(client, "/api/v1/feedback", {**body, "rating": "meh"}, alice_api).status_code == 422
    assert not Feedback.objects.exists()


@pytest.mark.django_db
def test_it_turns_feedback_into_an_item_linked_to_its_call(
    client: Client, alice_api: dict[str, Any], alice: User, acme: Workspace, dataset_id: str
) -> None:
    question = answered_question(acme, alice)
    feedback = post(
        client,
        "/api/v1/feedback",
        {"target": "ask.once", "subject_id": str(question.pk), "rating": "up"},
        alice_api,
    ).json()
    url = f"/api/v1/feedback/{feedback['id']}/dataset-items"
    response = post(client, url, {"dataset_id": dataset_id}, alice_api, HTTP_IDEMPOTENCY_KEY="fb-1")
    assert response.status_code == 201, response.content
    item = response.json()
    assert item["reference"] == "A short summary."
    assert item["source_call_id"] == feedback["llm_call_id"]
    assert item["tags"] == ["feedback", "up"] and item["version"] == 1
    replay = post(client, url, {"dataset_id": dataset_id}, alice_api, HTTP_IDEMPOTENCY_KEY="fb-1")
    assert replay.json() == item
    twice = post(client, url, {"dataset_id": dataset_id}, alice_api)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_added"
    chats = post(
        client, "/api/v1/datasets", {"name": "Chats", "target": "chat.reply"}, alice_api
    ).json()
    mismatch = post(client, url, {"dataset_id": chats["id"]}, alice_api)
    assert mismatch.status_code == 422 and mismatch.json()["error"]["code"] == "target_mismatch"


@pytest.mark.django_db
def test_datasets_items_and_versions_over_the_api(
    client: Client, alice_api: dict[str, Any], dataset_id: str
) -> None:
    base = f"/api/v1/datasets/{dataset_id}"
    assert client.get(f"{base}/items", **alice_api).status_code == 404  # no version yet
    added = post(client, f"{base}/items", {"key": "first", "input": {"text": "One."}}, alice_api)
    assert added.status_code == 201, added.content
    assert added.json()["version"]["number"] == 1
    key = added.json()["item"]["key"]
    assert key == str(io.item_key("first"))
    assert added.json()["item"]["metadata"] == {"name": "first"}

    wrong = post(client, f"{base}/items", {"input": {"text": ""}}, alice_api)
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"][0]["field"] == "input.text"

    patched = client.patch(
        f"{base}/items/first",
        data=json.dumps({"reference": "Uno."}),
        content_type="application/json",
        **alice_api,
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["version"]["number"] == 2
    assert patched.json()["item"] == {
        **added.json()["item"],
        "reference": "Uno.",
        "version": 2,
        "id": patched.json()["item"]["id"],
    }
    missing = client.patch(
        f"{base}/items/{uuid.uuid4()}",
        data=json.dumps({"reference": "x"}),
        content_type="application/json",
        **alice_api,
    )
    assert missing.status_code == 404
    empty_patch = client.patch(
        f"{base}/items/{key}", data="{}", content_type="application/json", **alice_api
    )
    assert empty_patch.status_code == 422

    deleted = client.delete(f"{base}/items/{key}", **alice_api)
    assert deleted.status_code == 200 and deleted.json()["version"]["number"] == 3
    assert deleted.json()["item"] is None
    assert client.get(f"{base}/items", **alice_api).json()["items"] == []
    old = client.get(f"{base}/items?version=1", **alice_api).json()["items"]
    assert [i["reference"] for i in old] == [""]
    versions = client.get(f"{base}/versions", **alice_api).json()["items"]
    assert [v["number"] for v in versions] == [3, 2, 1]
    assert versions[0]["note"] == "Deleted item first"
    assert client.get(base, **alice_api).json()["current_version"] == 3
    assert [d["name"] for d in client.get("/api/v1/datasets", **alice_api).json()["items"]] == [
        "Summaries"
    ]


@pytest.mark.django_db
def test_it_refuses_a_taken_dataset_name_and_replays_an_idempotent_create(
    client: Client, alice_api: dict[str, Any], dataset_id: str
) -> None:
    taken = post(client, "/api/v1/datasets", {"name": "Summaries", "target": "ask.once"}, alice_api)
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "name_taken"
    body = {"name": "Other", "target": "ask.once"}
    first = post(client, "/api/v1/datasets", body, alice_api, HTTP_IDEMPOTENCY_KEY="ds-1")
    again = post(client, "/api/v1/datasets", body, alice_api, HTTP_IDEMPOTENCY_KEY="ds-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Dataset.objects.count() == 2


@pytest.mark.django_db
def test_it_imports_with_per_row_errors_and_stores_nothing_on_failure(
    client: Client, alice_api: dict[str, Any], dataset_id: str
) -> None:
    bad = '{"input": {"text": "ok"}}\n{"input": {"text": "x"}, "tags": "one"}\n{not json}\n'
    response = upload(client, dataset_id, bad, alice_api)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    assert [(d["row"], d["field"]) for d in error["details"]] == [(2, "tags"), (3, "")]
    assert not DatasetVersion.objects.exists()

    csv_bad = 'input,reference\n"{""text"": 5}",x\n'
    response = upload(client, dataset_id, csv_bad, alice_api, name="cases.csv")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0] == {
        "row": 2,
        "field": "input.text",
        "message": "Input should be a valid string",
    }

    ok = upload(client, dataset_id, CASES, alice_api, name="cases.txt", format="jsonl")
    assert ok.status_code == 201, ok.content
    assert (ok.json()["number"], ok.json()["item_count"]) == (1, 2)
    assert ok.json()["note"] == "Imported 2 items from cases.txt"
    unknown = upload(client, dataset_id, CASES, alice_api, name="cases.txt")
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_format"
    as_json = post(client, f"/api/v1/datasets/{dataset_id}/import", {"file": "x"}, alice_api)
    assert as_json.status_code == 415


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_is_a_download_that_imports_back_unchanged(
    client: Client, alice_api: dict[str, Any], dataset_id: str, fmt: str
) -> None:
    upload(client, dataset_id, CASES, alice_api)
    download = client.get(
        f"/api/v1/datasets/{dataset_id}/export?format={fmt}&version=1", **alice_api
    )
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="Summaries-v1.{fmt}"'
    assert download["Content-Type"].startswith(
        "application/x-ndjson" if fmt == "jsonl" else "text/csv"
    )
    copy = post(
        client, "/api/v1/datasets", {"name": "Copy", "target": "ask.once"}, alice_api
    ).json()
    imported = upload(client, copy["id"], download.content, alice_api, name=f"export.{fmt}")
    assert imported.status_code == 201, imported.content

    def items(dataset: str) -> list[Any]:
        found = client.get(f"/api/v1/datasets/{dataset}/items", **alice_api).json()["items"]
        return [{k: v for k, v in item.items() if k != "id"} for item in found]

    assert items(copy["id"]) == items(dataset_id)
    again = client.get(f"/api/v1/datasets/{copy['id']}/export?format={fmt}", **alice_api)
    assert again.content == download.content
    assert (
        client.get(f"/api/v1/datasets/{dataset_id}/export?format=xml", **alice_api).status_code
        == 422
    )


@pytest.mark.django_db
def test_outsiders_get_404_for_every_dataset_and_feedback_route(
    client: Client,
    alice_api: dict[str, Any],
    charlie_api: dict[str, Any],
    dataset_id: str,
    alice: User,
    acme: Workspace,
) -> None:
    upload(client, dataset_id, CASES, alice_api)
    key = str(DatasetItem.objects.first().key)  # type: ignore[union-attr]
    question = answered_question(acme, alice)
    feedback = post(
        client,
        "/api/v1/feedback",
        {"target": "ask.once", "subject_id": str(question.pk), "rating": "up"},
        alice_api,
    ).json()
    base = f"/api/v1/datasets/{dataset_id}"
    for method, url, body in [
        ("get", base, None),
        ("get", f"{base}/versions", None),
        ("get", f"{base}/items", None),
        ("get", f"{base}/export", None),
        ("post", f"{base}/items", {"input": {"text": "x"}}),
        ("patch", f"{base}/items/{key}", {"reference": "x"}),
        ("delete", f"{base}/items/{key}", None),
        ("get", f"/api/v1/feedback/{feedback['id']}", None),
        ("post", f"/api/v1/feedback/{feedback['id']}/dataset-items", {"dataset_id": dataset_id}),
    ]:
        kwargs: dict[str, Any] = dict(charlie_api)
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == 404, (method, url, response.content)
    assert upload(client, dataset_id, CASES, charlie_api).status_code == 404
    assert client.get("/api/v1/datasets", **charlie_api).json()["items"] == []
    assert client.get("/api/v1/feedback", **charlie_api).json()["items"] == []
    # Alice's own feedback cannot go into charlie's dataset either.
    theirs = post(
        client, "/api/v1/datasets", {"name": "Mine", "target": "ask.once"}, charlie_api
    ).json()
    into = post(
        client,
        f"/api/v1/feedback/{feedback['id']}/dataset-items",
        {"dataset_id": theirs["id"]},
        alice_api,
    )
    assert into.status_code == 404
    assert DatasetVersion.objects.count() == 1


@pytest.mark.django_db
def test_writes_need_the_write_scope(
    client: Client, alice: User, acme: Workspace, dataset_id: str
) -> None:
    read_only = bearer(make_key(user=alice, workspace=acme, scopes=("read",)))
    assert (
        post(client, "/api/v1/datasets", {"name": "X", "target": "ask.once"}, read_only).status_code
        == 403
    )
    assert upload(client, dataset_id, CASES, read_only).status_code == 403
    assert client.get(f"/api/v1/datasets/{dataset_id}", **read_only).status_code == 200
