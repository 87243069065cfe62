"""Workspace pages through the test client: who sees what, and what each button does."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from product.accounts.models import Membership, User, Workspace
from product.accounts.selectors import CURRENT_WORKSPACE_SESSION_KEY


def test_it_lists_my_workspaces(alice_client: Client, acme: Workspace) -> None:
    response = alice_client.get(reverse("accounts:workspace-list"))
    assert response.status_code == 200
    assert b"Acme" in response.content


def test_it_creates_a_workspace_and_switches_to_it(alice_client: Client, alice: User) -> None:
    response = alice_client.post(reverse("accounts:workspace-create"), {"name": "Lab"})
    workspace = Workspace.objects.get(name="Lab")
    assert response["Location"] == reverse("accounts:workspace-detail", args=[workspace.id])
    assert alice_client.session[CURRENT_WORKSPACE_SESSION_KEY] == str(workspace.id)


def test_it_shows_an_error_beside_a_blank_name(alice_client: Client) -> None:
    response = alice_client.post(reverse("accounts:workspace-create"), {"name": ""})
    assert response.status_code == 200
    assert b'class="errorlist"' in response.content


def test_it_shows_members_and_manage_controls_to_the_owner(
    alice_client: Client, bob: User, acme: Workspace
) -> None:
    response = alice_client.get(reverse("accounts:workspace-detail", args=[acme.id]))
    assert b"bob@example.com" in response.content
    assert b"Send invitation" in response.content


def test_it_hides_manage_controls_from_a_member(bob_client: Client, acme: Workspace) -> None:
    response = bob_client.get(reverse("accounts:workspace-detail", args=[acme.id]))
    assert response.status_code == 200
    assert b"Send invitation" not in response.content


def test_it_is_404_for_outsiders(charlie_client: Client, acme: Workspace) -> None:
    for name in ("workspace-detail", "workspace-update", "workspace-delete"):
        assert charlie_client.get(reverse(f"accounts:{name}", args=[acme.id])).status_code == 404
    assert (
        charlie_client.post(reverse("accounts:workspace-leave", args=[acme.id])).status_code == 404
    )


def test_it_renames(alice_client: Client, acme: Workspace) -> None:
    alice_client.post(reverse("accounts:workspace-update", args=[acme.id]), {"name": "Acme 2"})
    acme.refresh_from_db()
    assert acme.name == "Acme 2"


def test_it_changes_a_role(alice_client: Client, bob: User, acme: Workspace) -> None:
    bobs = Membership.objects.get(user=bob, workspace=acme)
    alice_client.post(reverse("accounts:member-role", args=[acme.id, bobs.id]), {"role": "admin"})
    bobs.refresh_from_db()
    assert bobs.role == "admin"


def test_it_says_why_the_last_owner_cannot_step_down(
    alice_client: Client, alice: User, acme: Workspace
) -> None:
    alices = Membership.objects.get(user=alice, workspace=acme)
    response = alice_client.post(
        reverse("accounts:member-role", args=[acme.id, alices.id]), {"role": "member"}, follow=True
    )
    assert b"at least one owner" in response.content
    alices.refresh_from_db()
    assert alices.role == "owner"


def test_it_removes_a_member(alice_client: Client, bob: User, acme: Workspace) -> None:
    bobs = Membership.objects.get(user=bob, workspace=acme)
    alice_client.post(reverse("accounts:member-remove", args=[acme.id, bobs.id]))
    assert not Membership.objects.filter(pk=bobs.pk).exists()


def test_it_does_not_reach_members_of_other_workspaces(
    alice_client: Client, charlie: User, acme: Workspace
) -> None:
    charlies = Membership.objects.get(user=charlie)
    response = alice_client.post(reverse("accounts:member-remove", args=[acme.id, charlies.id]))
    assert response.status_code == 404
    assert Membership.objects.filter(pk=charlies.pk).exists()


def test_it_lets_a_member_leave(bob_client: Client, bob: User, acme: Workspace) -> None:
    response = bob_client.post(reverse("accounts:workspace-leave", args=[acme.id]))
    assert response["Location"] == reverse("accounts:workspace-list")
    assert not Membership.objects.filter(user=bob, workspace=acme).exists()


def test_it_deletes_after_confirmation(alice_client: Client, acme: Workspace) -> None:
    url = reverse("accounts:workspace-delete", args=[acme.id])
    assert b"Type the workspace" in alice_client.get(url).content
    alice_client.post(url, {"confirm_name": "nope"})
    assert Workspace.objects.filter(pk=acme.pk).exists()
    alice_client.post(url, {"confirm_name": "Acme"})
    assert not Workspace.objects.filter(pk=acme.pk).exists()


def test_it_switches_workspace(alice_client: Client, alice: User, acme: Workspace) -> None:
    other = Workspace.objects.create(name="Other")
    Membership.objects.create(workspace=other, user=alice, role="member")
    alice_client.post(reverse("accounts:workspace-switch"), {"workspace": str(other.id)})
    assert alice_client.session[CURRENT_WORKSPACE_SESSION_KEY] == str(other.id)
