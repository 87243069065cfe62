"""Forms for the workspace pages: each field labelled, validation messages shown beside it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

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


class ModelBodiesForm(forms.Form):
    """Store prompts and responses for traces: the global default, on, or off."""

    DEFAULT, ON, OFF = "default", "on", "off"
    VALUES: dict[str, bool | None] = {DEFAULT: None, ON: True, OFF: False}

    store = forms.ChoiceField(
        label="Store prompts and responses for traces",
        widget=forms.RadioSelect,
        help_text="Off keeps only their sizes and token counts. Secrets are redacted either way; "
        "stored bodies are removed after LLM_BODY_RETENTION_DAYS.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default = "on" if settings.LLM_STORE_BODIES else "off"
        self.fields["store"].choices = [  # type: ignore[attr-defined]
            (self.DEFAULT, f"Default ({default}: follows LLM_STORE_BODIES)"),
            (self.ON, "On"),
            (self.OFF, "Off"),
        ]

    @classmethod
    def value_of(cls, store: bool | None) -> str:
        return next(key for key, value in cls.VALUES.items() if value is store)

    @property
    def store_value(self) -> bool | None:
        return self.VALUES[self.cleaned_data["store"]]
