"""Writes for accounts: workspaces, memberships, invitations."""

from __future__ import annotations

from django.db import transaction

from product.accounts.models import Membership, User, Workspace


@transaction.atomic
def create_workspace(*, owner: User, name: str, is_personal: bool = False) -> Workspace:
    workspace = Workspace.objects.create(name=name, is_personal=is_personal, created_by=owner)
    Membership.objects.create(workspace=workspace, user=owner, role=Membership.Role.OWNER)
    return workspace


def create_personal_workspace(*, user: User) -> Workspace:
    return create_workspace(owner=user, name=f"{user.display_name}'s workspace", is_personal=True)
