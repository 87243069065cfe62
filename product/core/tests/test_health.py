from django.test import Client


def test_it_says_alive(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_checks_each_dependency(client: Client, db: None) -> None:
    response = client.get("/readyz")
    body = response.json()
    assert set(body["checks"]) == {"database", "broker", "cache"}
    assert response.status_code == 200, body
    assert all(check["ok"] for check in body["checks"].values())
