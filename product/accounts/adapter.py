"""allauth hooks: a personal workspace at sign-up; back to a pending invitation after log-in;
every mail's subject prefixed with the product's name; the "Check your inbox" page names the
address the link went to."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from product.accounts.models import User
from product.accounts.selectors import (
    PENDING_INVITATION_SESSION_KEY,
    VERIFICATION_SENT_TO_SESSION_KEY,
)
from product.accounts.services import create_personal_workspace


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def save_user(self, request: HttpRequest, user: User, form: Any, commit: bool = True) -> User:
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            create_personal_workspace(user=user)
        return user

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # The log-in signal accepts a matching invitation and drops the token; one still here
        # could not be accepted by this user, and its page says why.
        token = request.session.get(PENDING_INVITATION_SESSION_KEY)
        if token:
            return reverse("accounts:invitation-accept", args=[token])
        url: str = super().get_login_redirect_url(request)
        return url

    def format_email_subject(self, subject: str) -> str:
        # Read per mail rather than frozen into ACCOUNT_EMAIL_SUBJECT_PREFIX at start, so allauth's
        # mails and ours (invitations) follow PRODUCT_NAME the same way, overrides included.
        return f"[{settings.PRODUCT_NAME}] {subject}"

    # allauth's "verification sent" page has no address in its context; the two mails a sign-up
    # can send record where they went, so templates/account/verification_sent.html can say it.
    # Both record it, so the page reads the same whether or not the address already had an account.
    def send_confirmation_mail(
        self, request: HttpRequest, emailconfirmation: Any, signup: bool
    ) -> None:
        super().send_confirmation_mail(request, emailconfirmation, signup)
        request.session[VERIFICATION_SENT_TO_SESSION_KEY] = emailconfirmation.email_address.email

    def send_account_already_exists_mail(self, email: str) -> None:
        super().send_account_already_exists_mail(email)
        context.request.session[VERIFICATION_SENT_TO_SESSION_KEY] = email
