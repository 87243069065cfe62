"""Admin for people and workspaces: the email-based user admin, workspaces with their members."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from product.accounts.models import Invitation, Membership, User, Workspace

# django-stubs makes these generic for the type checker only; at runtime they are plain classes.
if TYPE_CHECKING:
    _UserAdminBase = DjangoUserAdmin[User]
    _WorkspaceAdminBase = admin.ModelAdmin[Workspace]
    _InvitationAdminBase = admin.ModelAdmin[Invitation]
    _MembershipInlineBase = admin.TabularInline[Membership, Workspace]
else:
    _UserAdminBase = DjangoUserAdmin
    _WorkspaceAdminBase = _InvitationAdminBase = admin.ModelAdmin
    _MembershipInlineBase = admin.TabularInline


class EmailUserChangeForm(UserChangeForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = ("email", "name")


class EmailUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


@admin.register(User)
class UserAdmin(_UserAdminBase):
    """Django's UserAdmin, re-cut for users who have an email and no username."""

    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ("email",)
    list_display = ("email", "name", "is_staff", "is_active", "date_joined", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )


class MembershipInline(_MembershipInlineBase):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Workspace)
class WorkspaceAdmin(_WorkspaceAdminBase):
    list_display = ("name", "is_personal", "created_by", "created_at")
    list_filter = ("is_personal",)
    search_fields = ("name", "created_by__email")
    readonly_fields = ("id", "created_at", "updated_at")
    inlines = (MembershipInline,)


@admin.register(Invitation)
class InvitationAdmin(_InvitationAdminBase):
    list_display = (
        "email",
        "workspace",
        "role",
        "invited_by",
        "expires_at",
        "accepted_at",
        "revoked_at",
    )
    list_filter = ("role",)
    search_fields = ("email", "workspace__name")
    readonly_fields = ("id", "created_at", "updated_at", "accepted_at", "accepted_by")
    autocomplete_fields = ("workspace", "invited_by")
