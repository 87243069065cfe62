"""Every error of /api/v1/ comes in one envelope: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings

from product.accounts.models import User, Workspace
from product.apikeys.tests.factories import bearer, make_key


@pytest.fixture
def auth(alice: User, acme: Workspace) -> dict[str, Any]:
    return bearer(make_key(user=alice, workspace=acme, name="Deploy"))


def envelope(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json"), response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]
    return dict(body["error"])


def test_it_answers_unknown_paths_with_a_404_envelope(client: Client, auth: dict[str, Any]) -> None:
    response = client.get("/api/v1/no/such/thing", **auth)
    assert response.status_code == 404
    assert envelope(response)["code"] == "not_found"


def test_it_answers_a_wrong_method_with_a_405_envelope(
    client: Client, auth: dict[str, Any]
) -> None:
    response = client.delete("/api/v1/keys", **auth)
    assert response.status_code == 405
    error = envelope(response)
    assert error["code"] == "method_not_allowed"
    assert error["details"] == {"allowed": ["GET"]}
    assert response["Allow"] == "GET"


def test_it_lists_each_invalid_field(
    client: Client, alice: User, acme: Workspace, auth: dict[str, Any]
) -> None:
    key_id = make_key(user=alice, workspace=acme).key.id
    response = client.patch(
        f"/api/v1/keys/{key_id}", data={"name": ""}, content_type="application/json", **auth
    )
    assert response.status_code == 422
    error = envelope(response)
    assert error["code"] == "validation_error"
    assert [d["field"] for d in error["details"]] == ["body.payload.name"]
    response = client.get("/api/v1/keys?limit=0", **auth)
    assert response.status_code == 422
    assert [d["field"] for d in envelope(response)["details"]] == ["query.limit"]
    response = client.get("/api/v1/keys/not-a-uuid", **auth)
    assert response.status_code == 422
    assert [d["field"] for d in envelope(response)["details"]] == ["path.key_id"]


@pytest.mark.parametrize("body", ["{not json", '{"name": "x"', "\xff\xfe", '{"name": "\\ud800"}'])
def test_it_answers_malformed_json_with_422(
    client: Client, alice: User, acme: Workspace, auth: dict[str, Any], body: str
) -> None:
    key_id = make_key(user=alice, workspace=acme).key.id
    response = client.patch(
        f"/api/v1/keys/{key_id}", data=body, content_type="application/json", **auth
    )
    assert response.status_code == 422
    assert envelope(response)["code"] in {"malformed_json", "validation_error"}


def test_it_answers_a_json_array_body_with_422(
    client: Client, alice: User, acme: Workspace, auth: dict[str, Any]
) -> None:
    key_id = make_key(user=alice, workspace=acme).key.id
    response = client.patch(
        f"/api/v1/keys/{key_id}", data="[1, 2]", content_type="application/json", **auth
    )
    assert response.status_code == 422
    assert envelope(response)["code"] == "validation_error"


@override_settings(API_MAX_BODY_BYTES=1000, DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_it_answers_an_oversized_body_with_413(
    client: Client, alice: User, acme: Workspace, auth: dict[str, Any]
) -> None:
    key = make_key(user=alice, workspace=acme).key
    big = json.dumps({"name": "x" * 5000})
    response = client.patch(
        f"/api/v1/keys/{key.id}", data=big, content_type="application/json", **auth
    )
    assert response.status_code == 413
    assert envelope(response)["code"] == "body_too_large"
    key.refresh_from_db()
    assert key.name == "Test key"


@override_settings(API_MAX_BODY_BYTES=10_000_000, DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_it_turns_djangos_request_data_too_big_into_413(
    client: Client, alice: User, acme: Workspace, auth: dict[str, Any]
) -> None:
    key_id = make_key(user=alice, workspace=acme).key.id
    big = json.dumps({"name": "x" * 5000})
    response = client.patch(
        f"/api/v1/keys/{key_id}", data=big, content_type="application/json", **auth
    )
    assert response.status_code == 413
    assert envelope(response)["code"] == "body_too_large"


def test_it_answers_a_true_bug_with_a_logged_500_envelope(
    client: Client, auth: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def explode(**kwargs: Any) -> None:
        raise RuntimeError("boom: secret internals")

    monkeypatch.setattr("product.apikeys.api.keys_for_api", explode)
    response = client.get("/api/v1/keys", **auth)
    assert response.status_code == 500
    error = envelope(response)
    assert error["code"] == "internal_error"
    assert "boom" not in response.content.decode()
    assert any("Unhandled API error" in r.getMessage() for r in caplog.records)


def test_it_answers_401_in_the_envelope(client: Client) -> None:
    response = client.get("/api/v1/keys")
    assert response.status_code == 401
    assert envelope(response)["code"] == "unauthenticated"


def test_it_documents_the_error_envelope_on_every_operation(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert "ErrorOut" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if operation.get("security"):
                # The SSE stream is not rate limited: a reconnecting EventSource must get through.
                limited = operation["operationId"] != "stream_message"
                for status in ("401", "403", "404", "429") if limited else ("401", "403", "404"):
                    assert status in operation["responses"], (method, path, status)
            assert "503" in operation["responses"], (method, path)
            assert operation.get("summary"), (method, path)
            assert operation.get("tags"), (method, path)


def test_it_serves_public_docs(client: Client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 302
    assert response["Location"] == "/api/v1/docs"
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Vendored assets under /static/, and no executable inline script: the strict CSP holds.
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html
    assert "<script>" not in html
    assert "script-src 'self'" in docs["Content-Security-Policy"]
