"""Writes for accounts: workspaces, memberships, invitations.

Every rule about who may do what to a workspace lives here and raises a `WorkspaceRuleError` (a
`KeelError`) whose message is written for the person who tried (views show it as a toast or beside
a field, the API answers it with its status: 422 bad value, 403 wrong role, 409 last owner).
The rules:
- owners and admins invite and remove members; only owners change roles or delete a workspace;
- an admin cannot remove an owner, nor invite someone as owner;
- a workspace always keeps at least one owner: the last owner cannot leave, be removed or demoted;
- a personal workspace cannot be deleted, so every user always has a home (other workspaces can be
  deleted by an owner; their members fall back to their own personal workspace).
"""

from __future__ import annotations

from datetime import timedelta

from allauth.account.adapter import get_adapter as get_account_adapter
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from product.accounts.models import Invitation, Membership, User, Workspace
from product.core.errors import KeelError

INVITATION_TTL = timedelta(days=7)
_INVITATION_SALT = "keel.accounts.invitation"


class WorkspaceRuleError(KeelError):
    """A request the workspace rules forbid; the message is shown to the user as is.

    Raised as is for a value the rules refuse (a blank name, an unknown role): 422.
    """

    default_status = 422
    default_code = "workspace_rule"


class RoleRequired(WorkspaceRuleError):
    """The member's role does not allow this (an admin removing an owner, a member inviting)."""

    default_status = 403
    default_code = "role_required"


class WorkspaceConflict(WorkspaceRuleError):
    """The request is fine but the workspace's state forbids it (already a member, ...): 409."""

    default_status = 409
    default_code = "workspace_conflict"


class LastOwner(WorkspaceConflict):
    """The change would leave the workspace without an owner."""

    default_code = "last_owner"


class InvitationError(WorkspaceRuleError):
    """An invitation that cannot be accepted any more (expired, used, revoked): 410."""

    default_status = 410
    default_code = "invitation_unusable"


class InvitationNotFound(InvitationError):
    """The link names no invitation (tampered with, or the row is gone): 404."""

    default_status = 404
    default_code = "invitation_not_found"


class InvitationForSomeoneElse(InvitationError):
    """The invitation is fine, but the signed-in user is not the person it was sent to: 403."""

    default_status = 403
    default_code = "invitation_for_someone_else"


def require_role(membership: Membership, *roles: str) -> None:
    """The single place role checks happen: raise unless the member holds one of `roles`."""
    if membership.role not in roles:
        names = " or ".join(Membership.Role(role).label.lower() for role in roles)
        raise RoleRequired(f"Only an {names} can do that in {membership.workspace.name}.")


MANAGERS = (Membership.Role.OWNER, Membership.Role.ADMIN)


def _owner_count(workspace: Workspace) -> int:
    return Membership.objects.filter(workspace=workspace, role=Membership.Role.OWNER).count()


# --- Workspaces -------------------------------------------------------------------------------


@transaction.atomic
def create_workspace(*, owner: User, name: str, is_personal: bool = False) -> Workspace:
    name = name.strip()
    if not name:
        raise WorkspaceRuleError("A workspace needs a name.")
    workspace = Workspace.objects.create(name=name, is_personal=is_personal, created_by=owner)
    Membership.objects.create(workspace=workspace, user=owner, role=Membership.Role.OWNER)
    return workspace


def create_personal_workspace(*, user: User) -> Workspace:
    return create_workspace(owner=user, name=f"{user.display_name}'s workspace", is_personal=True)


def rename_workspace(*, membership: Membership, name: str) -> Workspace:
    require_role(membership, *MANAGERS)
    name = name.strip()
    if not name:
        raise WorkspaceRuleError("A workspace needs a name.")
    workspace = membership.workspace
    workspace.name = name
    workspace.save(update_fields=["name", "updated_at"])
    return workspace


def set_model_body_storage(*, membership: Membership, store: bool | None) -> Workspace:
    """Whether the workspace's model calls keep the messages sent and the text received (for
    their traces): True, False, or None to follow settings.LLM_STORE_BODIES. Bodies stored
    before stay until retention prunes them; sizes and token counts are kept either way."""
    require_role(membership, *MANAGERS)
    workspace = membership.workspace
    workspace.store_model_bodies = store
    workspace.save(update_fields=["store_model_bodies", "updated_at"])
    return workspace


@transaction.atomic
def delete_workspace(*, membership: Membership, confirm_name: str) -> None:
    require_role(membership, Membership.Role.OWNER)
    workspace = membership.workspace
    if workspace.is_personal:
        raise WorkspaceConflict(
            "Your personal workspace cannot be deleted.", code="personal_workspace"
        )
    if confirm_name.strip() != workspace.name:
        raise WorkspaceRuleError("Type the workspace's name exactly to confirm.")
    workspace.delete()


# --- Members ----------------------------------------------------------------------------------


def change_role(*, actor: Membership, target: Membership, role: str) -> Membership:
    require_role(actor, Membership.Role.OWNER)
    if target.workspace_id != actor.workspace_id:
        raise WorkspaceRuleError("That person is not in this workspace.")
    if role not in Membership.Role.values:
        raise WorkspaceRuleError("Choose owner, admin or member.")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=target.pk)
        if (
            locked.role == Membership.Role.OWNER
            and role != Membership.Role.OWNER
            and _owner_count(locked.workspace) <= 1
        ):
            raise LastOwner("A workspace needs at least one owner: make someone else owner first.")
        locked.role = role
        locked.save(update_fields=["role", "updated_at"])
    return locked


@transaction.atomic
def remove_member(*, actor: Membership, target: Membership) -> None:
    require_role(actor, *MANAGERS)
    if target.workspace_id != actor.workspace_id:
        raise WorkspaceRuleError("That person is not in this workspace.")
    if target.pk == actor.pk:
        raise WorkspaceRuleError("To remove yourself, leave the workspace.")
    if target.is_owner and not actor.is_owner:
        raise RoleRequired("Admins cannot remove an owner.")
    if target.is_owner and _owner_count(target.workspace) <= 1:
        raise LastOwner("A workspace needs at least one owner.")
    target.delete()


@transaction.atomic
def leave_workspace(*, membership: Membership) -> None:
    if membership.is_owner and _owner_count(membership.workspace) <= 1:
        raise LastOwner("You are the last owner: make someone else owner, or delete the workspace.")
    membership.delete()


# --- Invitations ------------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """A signed token naming the invitation: unguessable, and useless once the row says so."""
    return signing.dumps(str(invitation.id), salt=_INVITATION_SALT)


def invitation_id_from_token(token: str) -> str:
    try:
        value = signing.loads(token, salt=_INVITATION_SALT, max_age=INVITATION_TTL)
    except signing.SignatureExpired as exc:
        raise InvitationError("This invitation has expired. Ask for a new one.") from exc
    except signing.BadSignature as exc:
        raise InvitationNotFound("This invitation link is not valid.") from exc
    return str(value)


def invitation_url(invitation: Invitation) -> str:
    path = reverse("accounts:invitation-accept", args=[invitation_token(invitation)])
    return settings.SITE_URL.rstrip("/") + path


@transaction.atomic
def invite_member(*, actor: Membership, email: str, role: str) -> Invitation:
    require_role(actor, *MANAGERS)
    email = User.objects.normalize_email(email.strip()).lower()
    if not email or "@" not in email:
        raise WorkspaceRuleError("Enter a valid email address.")
    if role not in Membership.Role.values:
        raise WorkspaceRuleError("Choose owner, admin or member.")
    if role == Membership.Role.OWNER and not actor.is_owner:
        raise RoleRequired("Only an owner can invite another owner.")
    workspace = actor.workspace
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise WorkspaceConflict(
            f"{email} is already a member of {workspace.name}.", code="already_a_member"
        )
    now = timezone.now()
    # A new invitation replaces any pending one to the same address: only the newest link works.
    Invitation.objects.filter(
        workspace=workspace,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=now, updated_at=now)
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=email,
        role=role,
        invited_by=actor.user,
        expires_at=now + INVITATION_TTL,
    )
    transaction.on_commit(lambda: send_invitation_email(invitation=invitation))
    return invitation


def send_invitation_email(*, invitation: Invitation) -> None:
    context = {
        "invitation": invitation,
        "inviter": invitation.invited_by,
        "url": invitation_url(invitation),
        # Mails render without a request, so the context processor does not run for them.
        "product_name": settings.PRODUCT_NAME,
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation_message.txt", context)
    send_mail(
        get_account_adapter().format_email_subject(subject),
        body,
        None,
        [invitation.email],
    )


def revoke_invitation(*, actor: Membership, invitation: Invitation) -> Invitation:
    require_role(actor, *MANAGERS)
    if invitation.workspace_id != actor.workspace_id:
        raise WorkspaceRuleError("That invitation is not for this workspace.")
    if invitation.accepted_at is not None:
        raise WorkspaceConflict("That invitation was already accepted.", code="already_accepted")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
    return invitation


def check_invitation(*, invitation: Invitation, user: User | None) -> None:
    """Raise `InvitationError` unless `user` (or anyone, if None) may accept the invitation now."""
    if invitation.revoked_at is not None:
        raise InvitationError("This invitation was revoked. Ask for a new one.")
    if invitation.accepted_at is not None:
        raise InvitationError("This invitation was already used.")
    if invitation.is_expired:
        raise InvitationError("This invitation has expired. Ask for a new one.")
    if user is not None and user.email.lower() != invitation.email.lower():
        raise InvitationForSomeoneElse(
            f"This invitation is for {invitation.email}, but you are signed in as {user.email}. "
            f"Log out and sign in (or sign up) as {invitation.email} to accept it."
        )


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: User) -> Membership:
    # Lock the row: two clicks on the same link must not both pass the "not yet used" check.
    invitation = (
        Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
    )
    check_invitation(invitation=invitation, user=user)
    membership, _created = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    return membership
