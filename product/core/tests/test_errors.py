"""One error family (product/core/errors.py): every app's errors say their status and code, the
API answers them in one handler, views show their text as is."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from product.accounts import services as accounts
from product.apikeys import services as apikeys
from product.apikeys.auth import MissingScope
from product.chat import services as chat
from product.core.errors import KeelError, RateLimited, add_form_error, show_error
from product.llm import errors as llm


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (KeelError(), 400, "bad_request"),
        (RateLimited(), 429, "rate_limited"),
        (MissingScope(), 403, "missing_scope"),
        (chat.ChatError(code="blank_message"), 422, "blank_message"),
        (chat.ChatConflict(code="reply_in_progress"), 409, "reply_in_progress"),
        (accounts.WorkspaceRuleError(), 422, "workspace_rule"),
        (accounts.RoleRequired(), 403, "role_required"),
        (accounts.LastOwner(), 409, "last_owner"),
        (accounts.WorkspaceConflict(), 409, "workspace_conflict"),
        (accounts.InvitationError(), 410, "invitation_unusable"),
        (accounts.InvitationNotFound(), 404, "invitation_not_found"),
        (accounts.InvitationForSomeoneElse(), 403, "invitation_for_someone_else"),
        (apikeys.ApiKeyRuleError(), 422, "invalid_api_key_request"),
        (apikeys.NotAManager(), 403, "not_a_manager"),
        (llm.QuotaExceeded(), 429, "quota_exceeded"),
        (llm.InputTooLarge(), 422, "input_too_large"),
        (llm.ProviderError(), 502, "provider_error"),
        (llm.CallCancelled(), 409, "cancelled"),
    ],
)
def test_it_gives_every_error_its_status_and_code(error: KeelError, status: int, code: str) -> None:
    assert isinstance(error, KeelError)
    assert (error.status, error.code) == (status, code)
    assert error.message and str(error) == error.message


def test_it_sends_retry_after_in_whole_seconds() -> None:
    error = RateLimited("Wait.", retry_after=0.2)
    assert error.headers == {"Retry-After": "1"}
    assert error.details == {"retry_after": 0.2}


def test_it_shows_the_persons_text_as_a_toast_and_beside_a_field() -> None:
    request = RequestFactory().post("/")
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    show_error(request, accounts.LastOwner("Make someone else owner first."))
    assert [m.message for m in get_messages(request)] == ["Make someone else owner first."]

    class NameForm(forms.Form):
        name = forms.CharField()

    form = NameForm({"name": "x"})
    assert form.is_valid()
    add_form_error(form, "name", accounts.WorkspaceRuleError("A workspace needs a name."))
    assert form.errors == {"name": ["A workspace needs a name."]}
