"""allauth's pages in Keel's layout: one <h1>, every field labelled, errors shown, abuse limited."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.test import Client
from django.urls import reverse

from product.accounts.models import User
from product.accounts.tests.factories import PASSWORD


class _Fields(HTMLParser):
    """Collects form controls that need a label, and the ids that labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labelled: set[str] = set()
        self.h1 = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        if tag == "label" and found.get("for"):
            self.labelled.add(str(found["for"]))
        if tag in ("input", "select", "textarea"):
            if found.get("type") in ("hidden", "submit", "button"):
                return
            self.controls.append(str(found.get("id") or found.get("name")))


def assert_accessible_page(html: str) -> None:
    parser = _Fields()
    parser.feed(html)
    assert parser.h1 == 1, f"{parser.h1} <h1> elements"
    unlabelled = [c for c in parser.controls if c not in parser.labelled]
    assert not unlabelled, f"fields without a <label for>: {unlabelled}"
    assert 'class="shell"' in html or 'class="topbar"' in html, "not in Keel's layout"


def test_it_renders_the_signed_out_pages_in_our_layout(db: None) -> None:
    client = Client()
    for name in ("account_login", "account_signup", "account_reset_password"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert_accessible_page(response.content.decode())
        assert b'class="topbar"' in response.content, name


def test_it_renders_the_signed_in_pages_in_our_layout(alice_client: Client) -> None:
    for name in (
        "account_email",
        "account_change_password",
        "account_logout",
        "account_reauthenticate",
        "mfa_index",
    ):
        response = alice_client.get(reverse(name))
        assert response.status_code == 200, name
        assert_accessible_page(response.content.decode())
        assert b'class="shell"' in response.content, name


def test_it_shows_login_errors(alice: User) -> None:
    response = Client().post(
        reverse("account_login"), {"login": "alice@example.com", "password": "wrong"}
    )
    assert response.status_code == 200
    assert b"alert-error" in response.content
    assert b"not correct" in response.content


def test_it_shows_signup_field_errors(db: None) -> None:
    response = Client().post(
        reverse("account_signup"), {"email": "nope", "password1": "x", "password2": "y"}
    )
    assert response.status_code == 200
    assert b'class="errorlist"' in response.content
    assert_accessible_page(response.content.decode())


def test_it_rate_limits_failed_logins(alice: User) -> None:
    client = Client()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "alice@example.com", "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": PASSWORD}
    )
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_it_resets_a_password_through_the_emailed_link(alice: User) -> None:
    client = Client()
    response = client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    assert response.status_code == 302
    done = client.get(response["Location"])
    assert_accessible_page(done.content.decode())
    link = re.search(r"http://\S+(/accounts/password/reset/key/\S+/)", str(mail.outbox[-1].body))
    assert link is not None, mail.outbox[-1].body
    form_page = client.get(link.group(1), follow=True)
    assert_accessible_page(form_page.content.decode())
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": "a new long passphrase 42", "password2": "a new long passphrase 42"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a new long passphrase 42")


def test_it_renders_the_mfa_pages_for_a_user_with_an_authenticator(
    alice: User, alice_client: Client
) -> None:
    TOTP.activate(alice, generate_totp_secret())
    RecoveryCodes.activate(alice)
    # These pages want a fresh password confirmation (force_login is not a real log-in).
    reauth = alice_client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert reauth.status_code == 302
    for name in ("mfa_index", "mfa_view_recovery_codes", "mfa_deactivate_totp"):
        response = alice_client.get(reverse(name))
        assert response.status_code == 200, name
        assert_accessible_page(response.content.decode())


def test_it_turns_on_two_factor_with_an_authenticator_app(
    alice: User, alice_client: Client
) -> None:
    import time

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value

    alice_client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = alice_client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert_accessible_page(page.content.decode())
    secret = alice_client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = alice_client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302, response.content
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
