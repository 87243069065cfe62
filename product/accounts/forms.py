"""Forms for the workspace pages: each field labelled, validation messages shown beside it."""

from __future__ import annotations

from django import forms

from product.accounts.models import Membership


class WorkspaceForm(forms.Form):
    name = forms.CharField(label="Workspace name", max_length=100)


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(
        label="Role", choices=Membership.Role.choices, initial=Membership.Role.MEMBER
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices)


class DeleteWorkspaceForm(forms.Form):
    confirm_name = forms.CharField(label="Type the workspace's name to confirm", max_length=100)
