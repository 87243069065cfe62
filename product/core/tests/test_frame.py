"""The frame around every page: landing, dashboard, error pages, toasts, theme switch."""

from __future__ import annotations

from django.contrib.messages import constants
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from product.accounts.models import User, Workspace


def test_it_shows_the_landing_page_to_visitors(db: None) -> None:
    response = Client().get(reverse("core:landing-page"))
    assert response.status_code == 200
    assert response.content.count(b"<h1") == 1
    assert reverse("account_signup").encode() in response.content


def test_it_sends_signed_in_people_to_their_dashboard(alice_client: Client) -> None:
    response = alice_client.get(reverse("core:landing-page"))
    assert response["Location"] == reverse("core:dashboard-page")


def test_it_shows_the_current_workspace_on_the_dashboard(
    alice_client: Client, acme: Workspace
) -> None:
    response = alice_client.get(reverse("core:dashboard-page"))
    assert b"Acme" in response.content
    assert b"data-theme-toggle" in response.content
    assert b'id="toasts"' in response.content


def test_it_renders_404_inside_the_app_layout(alice_client: Client) -> None:
    response = alice_client.get("/no-such-page/")
    assert response.status_code == 404
    assert b'class="shell"' in response.content
    assert response.content.count(b"<h1") == 1


def test_it_renders_404_for_visitors_in_the_public_layout(db: None) -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert b'class="topbar"' in response.content


def test_it_renders_500_without_a_request() -> None:
    html = render_to_string("500.html")
    assert html.count("<h1") == 1
    assert "Something went wrong" in html


def test_it_shows_messages_as_toasts_after_a_redirect(alice_client: Client) -> None:
    response = alice_client.post(reverse("accounts:workspace-create"), {"name": "Lab"}, follow=True)
    assert b'class="toast toast-success"' in response.content
    assert b"Created Lab" in response.content


def test_it_gives_each_message_level_its_own_style() -> None:
    html = render_to_string(
        "includes/_messages.html",
        {
            "messages": [
                type(
                    "M",
                    (),
                    {"tags": "error", "level": constants.ERROR, "__str__": lambda s: "Nope"},
                )()
            ]
        },
    )
    assert "toast-error" in html
    assert "Nope" in html


def test_it_sets_a_strict_content_security_policy(alice_client: Client) -> None:
    policy = alice_client.get(reverse("core:dashboard-page"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_it_renders_the_stored_theme_server_side(alice_client: Client) -> None:
    alice_client.cookies["keel_theme"] = "dark"
    assert b'data-theme="dark"' in alice_client.get(reverse("core:dashboard-page")).content
    alice_client.cookies["keel_theme"] = '"><script>'
    assert b'data-theme="system"' in alice_client.get(reverse("core:dashboard-page")).content


def test_it_shows_this_months_spend_on_the_dashboard(alice_client: Client) -> None:
    response = alice_client.get(reverse("core:dashboard-page"))
    assert b"Model spend this month" in response.content
    assert b"<meter" in response.content


def test_it_adds_toasts_to_htmx_fragments_under_asgi_too(alice: User, acme: Workspace) -> None:
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    async def invite() -> str:
        client = AsyncClient()
        await client.aforce_login(alice)
        response = await client.post(
            reverse("accounts:invitation-create", args=[acme.id]),
            {"email": "eve@example.com", "role": "member"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        return response.content.decode()

    body = async_to_sync(invite)()
    assert 'id="people"' in body
    assert 'hx-swap-oob="beforeend"' in body
    assert "Invitation sent to eve@example.com" in body
