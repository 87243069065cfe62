"""Invitations end to end through the web interface: email, link, sign-up or log-in, acceptance."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from product.accounts.models import Invitation, Membership, User, Workspace
from product.accounts.tests.factories import PASSWORD, UserFactory


def invite(
    client: Client, workspace: Workspace, email: str, capture: Any, role: str = "member"
) -> tuple[Invitation, str]:
    with capture(execute=True):  # the email leaves on commit
        response = client.post(
            reverse("accounts:invitation-create", args=[workspace.id]),
            {"email": email, "role": role},
        )
    assert response.status_code == 302, response.content
    invitation = Invitation.objects.get(workspace=workspace, email=email, revoked_at=None)
    link = re.search(r"https?://\S+/workspaces/invitations/\S+/", str(mail.outbox[-1].body))
    assert link is not None, mail.outbox[-1].body
    return invitation, urlparse(link.group(0)).path


@pytest.fixture
def sent(
    alice_client: Client, acme: Workspace, django_capture_on_commit_callbacks: Any
) -> tuple[Invitation, str]:
    return invite(alice_client, acme, "dave@example.com", django_capture_on_commit_callbacks)


def test_it_emails_a_signed_link(sent: tuple[Invitation, str]) -> None:
    invitation, path = sent
    assert mail.outbox[-1].to == ["dave@example.com"]
    assert "Acme" in mail.outbox[-1].subject
    assert str(invitation.id) not in path  # the id travels signed, not bare


def test_it_lets_an_existing_user_accept(sent: tuple[Invitation, str], acme: Workspace) -> None:
    invitation, path = sent
    dave = UserFactory(email="dave@example.com")
    client = Client()
    client.force_login(dave)
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302
    assert Membership.objects.get(user=dave, workspace=acme).role == "member"
    invitation.refresh_from_db()
    assert invitation.accepted_by == dave


def test_it_refuses_the_wrong_email_clearly(
    sent: tuple[Invitation, str], charlie_client: Client, charlie: User, acme: Workspace
) -> None:
    _, path = sent
    response = charlie_client.get(path)
    assert response.status_code == 403
    assert b"This invitation is for dave@example.com" in response.content
    assert charlie_client.post(path).status_code == 403
    assert not Membership.objects.filter(user=charlie, workspace=acme).exists()


def test_it_refuses_a_reused_link(sent: tuple[Invitation, str]) -> None:
    _, path = sent
    client = Client()
    client.force_login(UserFactory(email="dave@example.com"))
    client.post(path)
    response = client.get(path)
    assert response.status_code == 410
    assert b"already used" in response.content


def test_it_refuses_an_expired_link(sent: tuple[Invitation, str]) -> None:
    invitation, path = sent
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    client = Client()
    client.force_login(UserFactory(email="dave@example.com"))
    response = client.post(path)
    assert response.status_code == 410
    assert b"expired" in response.content


def test_it_refuses_a_revoked_link(
    sent: tuple[Invitation, str], alice_client: Client, acme: Workspace
) -> None:
    invitation, path = sent
    alice_client.post(reverse("accounts:invitation-revoke", args=[acme.id, invitation.id]))
    client = Client()
    client.force_login(UserFactory(email="dave@example.com"))
    response = client.get(path)
    assert response.status_code == 410
    assert b"revoked" in response.content


def test_it_refuses_a_tampered_link(sent: tuple[Invitation, str]) -> None:
    _, path = sent
    response = Client().get(path[:-3] + "xx/")
    assert response.status_code == 404
    assert b"not valid" in response.content


def test_it_keeps_the_invitation_through_signup_and_verification(
    sent: tuple[Invitation, str], acme: Workspace
) -> None:
    _, path = sent
    client = Client()
    page = client.get(path)
    assert b"Join Acme" in page.content
    signup = client.get(reverse("account_signup"), {"email": "dave@example.com"})
    assert b'value="dave@example.com"' in signup.content
    assert b"/accounts/signup/?email=dave%40example.com" in page.content
    response = client.post(
        reverse("account_signup"),
        {"email": "dave@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    dave = User.objects.get(email="dave@example.com")
    assert not Membership.objects.filter(user=dave, workspace=acme).exists()
    confirm = re.search(r"/accounts/confirm-email/[^\s]+/", str(mail.outbox[-1].body))
    assert confirm is not None, [m.body for m in mail.outbox]
    response = client.post(confirm.group(0))
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=dave).verified
    assert Membership.objects.get(user=dave, workspace=acme).role == "member"
    dashboard = client.get(reverse("core:dashboard-page"))
    assert b"Acme" in dashboard.content


def test_it_accepts_at_login_for_an_existing_user(
    sent: tuple[Invitation, str], acme: Workspace
) -> None:
    _, path = sent
    dave = UserFactory(email="dave@example.com")
    client = Client()
    client.get(path)
    response = client.post(
        reverse("account_login"), {"login": "dave@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=dave, workspace=acme).exists()


def test_it_shows_the_reason_after_logging_in_as_someone_else(
    sent: tuple[Invitation, str], charlie: User
) -> None:
    _, path = sent
    client = Client()
    client.get(path)
    response = client.post(
        reverse("account_login"), {"login": "charlie@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == path
    assert b"This invitation is for dave@example.com" in client.get(path).content


def test_it_lets_members_not_invite(bob_client: Client, acme: Workspace) -> None:
    response = bob_client.post(
        reverse("accounts:invitation-create", args=[acme.id]),
        {"email": "eve@example.com", "role": "member"},
    )
    assert b"Only an owner or admin" in response.content
    assert not Invitation.objects.exists()


def test_it_answers_htmx_with_the_people_fragment_and_a_toast(
    alice_client: Client, acme: Workspace
) -> None:
    response = alice_client.post(
        reverse("accounts:invitation-create", args=[acme.id]),
        {"email": "eve@example.com", "role": "admin"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="people"' in body
    assert "<h1>" not in body
    assert "eve@example.com" in body
    assert "hx-swap-oob" in body and "Invitation sent to eve@example.com" in body
