"""The admin for people and workspaces opens for staff: lists, search, the add and change forms."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from product.accounts.models import Invitation, User, Workspace
from product.accounts.tests.factories import UserFactory


def staff_client() -> Client:
    admin = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


def test_it_lists_and_opens_every_model(alice: User, acme: Workspace) -> None:
    client = staff_client()
    invitation = Invitation.objects.create(
        workspace=acme, email="x@example.com", invited_by=alice, expires_at="2999-01-01T00:00:00Z"
    )
    for model, obj in ((User, alice), (Workspace, acme), (Invitation, invitation)):
        meta = model._meta
        changelist = client.get(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"), {"q": "a"}
        )
        assert changelist.status_code == 200, meta.model_name
        change = client.get(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        )
        assert change.status_code == 200, meta.model_name
        add = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        assert add.status_code == 200, meta.model_name


def test_it_shows_a_workspaces_members_inline(alice: User, bob: User, acme: Workspace) -> None:
    response = staff_client().get(reverse("admin:accounts_workspace_change", args=[acme.pk]))
    assert b"alice@example.com" in response.content or str(alice.pk).encode() in response.content
    assert b"memberships-TOTAL_FORMS" in response.content


def test_it_creates_a_user_by_email(db: None) -> None:
    response = staff_client().post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new@example.com",
            "usable_password": "true",
            "password1": "a long admin passphrase 9",
            "password2": "a long admin passphrase 9",
        },
    )
    assert response.status_code == 302, response.content
    assert User.objects.get(email="new@example.com").check_password("a long admin passphrase 9")
