"""The workspace rules, once, at the service layer: views and the API only translate them."""

from __future__ import annotations

import pytest

from product.accounts import services
from product.accounts.models import Membership, User, Workspace
from product.accounts.tests.factories import UserFactory


def membership(user: User, workspace: Workspace) -> Membership:
    return Membership.objects.get(user=user, workspace=workspace)


def test_it_creates_a_workspace_owned_by_its_creator(alice: User) -> None:
    workspace = services.create_workspace(owner=alice, name="  Lab ")
    assert workspace.name == "Lab"
    assert membership(alice, workspace).role == Membership.Role.OWNER


def test_it_refuses_a_blank_name(alice: User) -> None:
    with pytest.raises(services.WorkspaceRuleError):
        services.create_workspace(owner=alice, name="   ")


def test_it_lets_managers_rename_but_not_members(alice: User, bob: User, acme: Workspace) -> None:
    services.rename_workspace(membership=membership(alice, acme), name="Acme Inc")
    acme.refresh_from_db()
    assert acme.name == "Acme Inc"
    with pytest.raises(services.WorkspaceRuleError):
        services.rename_workspace(membership=membership(bob, acme), name="Bob's")


def test_it_keeps_the_last_owner_from_leaving(alice: User, acme: Workspace) -> None:
    with pytest.raises(services.WorkspaceRuleError, match="last owner"):
        services.leave_workspace(membership=membership(alice, acme))


def test_it_lets_a_member_leave(bob: User, acme: Workspace) -> None:
    services.leave_workspace(membership=membership(bob, acme))
    assert not Membership.objects.filter(user=bob, workspace=acme).exists()


def test_it_keeps_the_last_owner_from_being_demoted(alice: User, acme: Workspace) -> None:
    own = membership(alice, acme)
    with pytest.raises(services.WorkspaceRuleError, match="at least one owner"):
        services.change_role(actor=own, target=own, role=Membership.Role.MEMBER)


def test_it_lets_an_owner_step_down_once_another_owner_exists(
    alice: User, bob: User, acme: Workspace
) -> None:
    own = membership(alice, acme)
    services.change_role(actor=own, target=membership(bob, acme), role=Membership.Role.OWNER)
    services.change_role(actor=own, target=own, role=Membership.Role.ADMIN)
    assert membership(alice, acme).role == Membership.Role.ADMIN


def test_it_lets_only_owners_change_roles(alice: User, bob: User, acme: Workspace) -> None:
    bobs = membership(bob, acme)
    bobs.role = Membership.Role.ADMIN
    bobs.save()
    with pytest.raises(services.WorkspaceRuleError):
        services.change_role(actor=bobs, target=membership(alice, acme), role="member")


def test_it_stops_admins_removing_owners(alice: User, bob: User, acme: Workspace) -> None:
    bobs = membership(bob, acme)
    bobs.role = Membership.Role.ADMIN
    bobs.save()
    with pytest.raises(services.WorkspaceRuleError, match="Admins cannot remove an owner"):
        services.remove_member(actor=bobs, target=membership(alice, acme))


def test_it_lets_admins_remove_members(alice: User, bob: User, acme: Workspace) -> None:
    dave = UserFactory(email="dave@example.com")
    daves = Membership.objects.create(user=dave, workspace=acme, role=Membership.Role.MEMBER)
    bobs = membership(bob, acme)
    bobs.role = Membership.Role.ADMIN
    bobs.save()
    services.remove_member(actor=bobs, target=daves)
    assert not Membership.objects.filter(pk=daves.pk).exists()


def test_it_stops_members_removing_anyone(alice: User, bob: User, acme: Workspace) -> None:
    with pytest.raises(services.WorkspaceRuleError):
        services.remove_member(actor=membership(bob, acme), target=membership(alice, acme))


def test_it_deletes_a_team_workspace_for_its_owner_only(
    alice: User, bob: User, acme: Workspace
) -> None:
    with pytest.raises(services.WorkspaceRuleError):
        services.delete_workspace(membership=membership(bob, acme), confirm_name="Acme")
    with pytest.raises(services.WorkspaceRuleError, match="exactly"):
        services.delete_workspace(membership=membership(alice, acme), confirm_name="acme")
    services.delete_workspace(membership=membership(alice, acme), confirm_name="Acme")
    assert not Workspace.objects.filter(pk=acme.pk).exists()


def test_it_never_deletes_a_personal_workspace(alice: User) -> None:
    personal = services.create_personal_workspace(user=alice)
    with pytest.raises(services.WorkspaceRuleError, match="personal"):
        services.delete_workspace(
            membership=membership(alice, personal), confirm_name=personal.name
        )


def test_it_stops_admins_inviting_owners(alice: User, bob: User, acme: Workspace) -> None:
    bobs = membership(bob, acme)
    bobs.role = Membership.Role.ADMIN
    bobs.save()
    with pytest.raises(services.WorkspaceRuleError, match="owner"):
        services.invite_member(actor=bobs, email="x@example.com", role="owner")


def test_it_refuses_to_invite_an_existing_member(alice: User, bob: User, acme: Workspace) -> None:
    with pytest.raises(services.WorkspaceRuleError, match="already a member"):
        services.invite_member(
            actor=membership(alice, acme), email="BOB@example.com", role="member"
        )


def test_it_replaces_a_pending_invitation_to_the_same_address(alice: User, acme: Workspace) -> None:
    own = membership(alice, acme)
    first = services.invite_member(actor=own, email="dave@example.com", role="member")
    second = services.invite_member(actor=own, email="Dave@Example.com", role="admin")
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.is_pending
    assert second.email == "dave@example.com"
