"""Sign-up and account pages speak as the product: what happened, and what to do next.

allauth's stock pages say "Verify Your Email Address" and "contact us" (there is no one to
contact); templates/account/ overrides them. These tests read the pages a person reads.
"""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.core import mail
from django.test import Client
from django.urls import reverse

from product.accounts.models import User
from product.core.tests.test_allauth_pages import assert_accessible_page

NEW_PASSWORD = "a brand new long passphrase 42"


def sign_up(client: Client, email: str) -> str:
    response = client.post(
        reverse("account_signup"),
        {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    html: str = response.content.decode()
    assert_accessible_page(html)
    return html


def test_it_tells_a_new_user_to_check_the_inbox_it_wrote_to(db: None) -> None:
    html = sign_up(Client(), "dora@example.com")
    assert "<h1>Check your inbox</h1>" in html
    assert "<strong>dora@example.com</strong>" in html
    assert "Confirm my email" in html
    assert "contact us" not in html.lower()
    assert "Verify Your Email Address" not in html


def test_it_reads_the_same_when_the_address_already_has_an_account(alice: User) -> None:
    # The page must not tell a stranger whether alice@example.com has an account.
    html = sign_up(Client(), "alice@example.com")
    assert "<h1>Check your inbox</h1>" in html
    assert "<strong>alice@example.com</strong>" in html


def test_it_confirms_with_a_primary_confirm_my_email_button(db: None) -> None:
    client = Client()
    sign_up(client, "dora@example.com")
    address = EmailAddress.objects.get(email="dora@example.com")
    key = EmailConfirmationHMAC(address).key
    page = client.get(reverse("account_confirm_email", args=[key]))
    html = page.content.decode()
    assert_accessible_page(html)
    assert "<h1>Confirm your email</h1>" in html
    assert re.search(
        r'<button class="btn btn-primary"[^>]*type="submit">Confirm my email</button>', html
    )
    response = client.post(reverse("account_confirm_email", args=[key]))
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified


def test_it_explains_an_expired_confirmation_link(db: None) -> None:
    html = Client().get(reverse("account_confirm_email", args=["not-a-key"])).content.decode()
    assert_accessible_page(html)
    assert "This link has expired or was already used." in html
    assert "sends a fresh link" in html


def test_it_says_what_the_password_reset_email_does(alice: User) -> None:
    client = Client()
    form = client.get(reverse("account_reset_password")).content.decode()
    assert "<h1>Reset your password</h1>" in form
    assert "contact us" not in form.lower()
    html = client.post(
        reverse("account_reset_password"), {"email": "alice@example.com"}, follow=True
    ).content.decode()
    assert_accessible_page(html)
    assert "<h1>Check your inbox</h1>" in html
    assert "choose a new password" in html
    assert "contact us" not in html.lower()
    assert len(mail.outbox) == 1


def test_it_confirms_the_new_password_and_offers_sign_in(alice: User) -> None:
    client = Client()
    client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    link = re.search(r"http://\S+(/accounts/password/reset/key/\S+/)", str(mail.outbox[-1].body))
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    ).content.decode()
    assert_accessible_page(done)
    assert "<h1>Password changed</h1>" in done
    assert f'href="{reverse("account_login")}"' in done


def test_it_asks_before_logging_out_and_offers_to_stay(alice_client: Client) -> None:
    html = alice_client.get(reverse("account_logout")).content.decode()
    assert_accessible_page(html)
    assert "<h1>Log out</h1>" in html
    assert "Stay signed in" in html
    response = alice_client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in alice_client.session


def test_it_describes_the_product_on_the_sign_up_page(db: None) -> None:
    html = Client().get(reverse("account_signup")).content.decode()
    assert_accessible_page(html)
    assert "<h1>Create your account</h1>" in html
    assert "workspace of your own" in html
    assert ">Create account</button>" in html
