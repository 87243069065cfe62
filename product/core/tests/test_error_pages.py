"""Development shows the product's error pages, as production does; only the 500 stays technical.

DEBUG is on in these tests (as in `make dev`), except where a test says otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client
from django.urls import path, reverse

from product import urls as product_urls
from product.accounts.models import User, Workspace
from product.chat import services as chat_services


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


# ROOT_URLCONF for the tests below: the site, plus a view that fails.
urlpatterns = [path("boom/", boom), *product_urls.urlpatterns]

STRICT_STYLES = "style-src 'self';"


@pytest.fixture(autouse=True)
def development(settings: Any) -> None:
    settings.DEBUG = True
    settings.ROOT_URLCONF = __name__


def test_it_shows_a_missing_page_as_the_products_404(alice_client: Client) -> None:
    response = alice_client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"We can't find that page" in response.content
    assert b'class="shell"' in response.content
    assert STRICT_STYLES in response["Content-Security-Policy"]


def test_it_shows_visitors_the_products_404_in_the_public_layout(db: None) -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert b'class="topbar"' in response.content


def test_it_shows_an_outsider_the_products_404_for_someone_elses_conversation(
    alice: User, acme: Workspace, charlie_client: Client
) -> None:
    conversation = chat_services.start_conversation(workspace=acme, user=alice)
    response = charlie_client.get(reverse("chat:conversation-detail", args=[conversation.pk]))
    assert response.status_code == 404
    assert b"We can't find that page" in response.content
    assert STRICT_STYLES in response["Content-Security-Policy"]


def test_it_still_appends_the_slash(alice_client: Client) -> None:
    response = alice_client.get("/dashboard")
    assert response.status_code == 301
    assert response["Location"] == "/dashboard/"


def test_it_shows_the_products_404_under_asgi_too(alice: User) -> None:
    async def get() -> tuple[int, bytes]:
        client = AsyncClient()
        await client.aforce_login(alice)
        response = await client.get("/no-such-page/")
        return response.status_code, response.content

    status, content = async_to_sync(get)()
    assert status == 404
    assert b"We can't find that page" in content


def test_it_shows_the_technical_500_readably_in_development(db: None) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert b"a bug in a view" in response.content, "the technical page, with the traceback"
    policy = response["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self' 'unsafe-inline'" in policy


def test_it_keeps_the_strict_policy_on_the_500_in_production(db: None, settings: Any) -> None:
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert b"a bug in a view" not in response.content
    assert STRICT_STYLES in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
