"""allauth hooks: every new user gets a personal workspace at sign-up."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from product.accounts.models import User
from product.accounts.services import create_personal_workspace


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def save_user(self, request: HttpRequest, user: User, form: Any, commit: bool = True) -> User:
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            create_personal_workspace(user=user)
        return user
