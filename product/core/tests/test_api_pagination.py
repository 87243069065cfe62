"""Cursor pagination (product/core/pagination.py), through a real list route: /api/v1/keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from product.accounts.models import User, Workspace
from product.apikeys.models import ApiKey
from product.apikeys.tests.factories import bearer, make_key


def _walk(client: Client, url: str, auth: dict[str, Any]) -> list[list[str]]:
    pages: list[list[str]] = []
    while url:
        # A next link that loops back would walk for ever: no test here has 20 pages.
        assert len(pages) < 20, f"still paging after {len(pages)} pages: {url}"
        response = client.get(url, **auth)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([item["name"] for item in body["items"]])
        url = body["next"]
    return pages


def test_it_walks_every_item_once_newest_first(
    client: Client, alice: User, acme: Workspace
) -> None:
    keys = [make_key(user=alice, workspace=acme, name=f"k{i}") for i in range(7)]
    # Two rows share a timestamp: the id breaks the tie, so neither is lost nor repeated.
    same = timezone.now() - timedelta(hours=1)
    ApiKey.objects.filter(pk__in=[keys[2].key.pk, keys[3].key.pk]).update(created_at=same)
    pages = _walk(client, "/api/v1/keys?limit=3", bearer(keys[0]))
    assert [len(p) for p in pages] == [3, 3, 1]
    seen = [name for page in pages for name in page]
    assert sorted(seen) == sorted(f"k{i}" for i in range(7))
    ordered = list(ApiKey.objects.order_by("-created_at", "-pk").values_list("name", flat=True))
    assert seen == ordered


def test_it_gives_an_absolute_next_link_that_keeps_other_parameters(
    client: Client, alice: User, acme: Workspace
) -> None:
    keys = [make_key(user=alice, workspace=acme, name=f"k{i}") for i in range(3)]
    body = client.get("/api/v1/keys?limit=2", **bearer(keys[0])).json()
    assert body["next"].startswith("http://testserver/api/v1/keys?")
    assert "limit=2" in body["next"]
    assert "cursor=" in body["next"]
    last = client.get(body["next"], **bearer(keys[0])).json()
    assert last["next"] is None
    assert len(last["items"]) == 1


def test_it_answers_an_empty_list_with_no_next(
    client: Client, alice: User, acme: Workspace
) -> None:
    created = make_key(user=alice, workspace=acme)
    ApiKey.objects.exclude(pk=created.key.pk).delete()
    body = client.get("/api/v1/keys", **bearer(created)).json()
    assert body == {"items": [body["items"][0]], "next": None}


@pytest.mark.parametrize(
    "cursor", ["garbage", "Zm9v", "MjAyNi0wMS0wMXxub3QtYS11dWlk", "%%%", "x" * 150]
)
def test_it_answers_a_tampered_cursor_with_422(
    client: Client, alice: User, acme: Workspace, cursor: str
) -> None:
    created = make_key(user=alice, workspace=acme)
    response = client.get("/api/v1/keys", {"cursor": cursor}, **bearer(created))
    assert response.status_code == 422
    assert response.json()["error"]["code"] in {"invalid_cursor", "validation_error"}


def test_it_pages_in_another_order_oldest_first(alice: User, acme: Workspace) -> None:
    from product.core.pagination import page_after

    for name in ["c", "a", "b", "a"]:
        make_key(user=alice, workspace=acme, name=name)
    queryset = ApiKey.objects.filter(workspace=acme)
    seen: list[str] = []
    cursor = None
    while True:
        assert len(seen) < 20, f"still paging after {len(seen)} items"
        page, cursor = page_after(
            queryset, cursor=cursor, limit=1, order_by="name", descending=False
        )
        seen += [key.name for key in page]
        if cursor is None:
            break
    assert seen == ["a", "a", "b", "c"]
