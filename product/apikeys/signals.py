"""Mark cached keys stale whenever a write could change who a key acts as (product/apikeys/cache.py).

Receivers, not calls in each service, so every way of saving or deleting these rows (services, the
admin, a cascade, a queryset `.delete()`) is covered. A queryset `.update()` sends no signal: such
a change is seen once the entry expires (settings.API_KEY_CACHE_SECONDS).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from product.accounts.models import Membership, User, Workspace
from product.apikeys.cache import forget_keys_matching, forget_verified_keys
from product.apikeys.models import ApiKey


@receiver(post_save, sender=ApiKey)
@receiver(post_delete, sender=ApiKey)
def forget_changed_key(sender: Any, instance: ApiKey, created: bool = False, **kwargs: Any) -> None:
    # A new key has no entry (its secret is new); revoking, renaming or deleting one has.
    if not created:
        forget_verified_keys([instance.secret_hash])


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def forget_members_keys(
    sender: Any, instance: Membership, created: bool = False, **kwargs: Any
) -> None:
    # A key acts only while its maker is a member: leaving or being removed stops it at once.
    if not created:
        forget_keys_matching(created_by_id=instance.user_id, workspace_id=instance.workspace_id)


@receiver(post_save, sender=User)
def forget_users_keys(
    sender: Any,
    instance: User,
    created: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    # Deactivation stops the user's keys; a changed email or name must not be served stale. Each
    # log-in saves last_login alone, which no API answer shows: that write costs no query here.
    if not created and update_fields != frozenset({"last_login"}):
        forget_keys_matching(created_by_id=instance.pk)


@receiver(post_save, sender=Workspace)
def forget_workspaces_keys(
    sender: Any, instance: Workspace, created: bool = False, **kwargs: Any
) -> None:
    # The cached key carries its workspace (its name, its model-body setting): a rename must show.
    # Deleting a workspace deletes its keys, which forget themselves.
    if not created:
        forget_keys_matching(workspace_id=instance.pk)
