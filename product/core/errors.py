"""One error family for everything a person or an API client can be told went wrong.

A `KeelError` carries what both interfaces need: a stable `code` (for API clients and logs), a
`message` written for the person who tried (shown as is in a toast or beside a form field, and as
the API's `message`), the HTTP `status` it means, and optional `details`, `headers` and
`retry_after` (seconds, when waiting would help). Services raise them; nothing translates one
family into another:
- the API answers every KeelError with its envelope in one handler (product/api.py);
- views show one with `show_error` (a toast) or `add_form_error` (beside a field), below.

Each app subclasses `KeelError` once for its rules (ChatError, WorkspaceRuleError, ApiKeyRuleError,
LLMError, ...) and sets `default_status`/`default_code` on the class, so code below the web (the
model gateway, the services) chooses the *kind* of failure and never speaks HTTP itself.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest


class KeelError(Exception):
    default_status: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"
    default_message: ClassVar[str] = "This cannot be done."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.status = status or self.default_status
        self.retry_after = retry_after
        if details is None and retry_after is not None:
            details = {"retry_after": retry_after}
        self.details = details
        self.headers = dict(headers or {})
        if retry_after is not None:
            # Whole seconds, at least one: the header does not take fractions, and 0 means "now".
            self.headers.setdefault("Retry-After", str(max(1, math.ceil(retry_after))))
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class InvalidInput(KeelError):
    """The request is well formed but its values are not acceptable."""

    default_status = 422
    default_code = "invalid_input"
    default_message = "The request is not valid."


class NotAllowed(KeelError):
    """The caller is known but may not do this here."""

    default_status = 403
    default_code = "not_allowed"
    default_message = "You may not do this here."


class NotFound(KeelError):
    default_status = 404
    default_code = "not_found"
    default_message = "Not found."


class Conflict(KeelError):
    """The request is fine, but the state of things forbids it now."""

    default_status = 409
    default_code = "conflict"
    default_message = "This conflicts with the current state; reload and try again."


class RateLimited(KeelError):
    default_status = 429
    default_code = "rate_limited"
    default_message = "Too many requests; please wait a moment."


class ServiceUnavailable(KeelError):
    """A server Keel needs (the database) is away for a moment: retry shortly, nothing was done."""

    default_status = 503
    default_code = "service_unavailable"
    default_message = "The service is briefly unavailable; nothing was changed. Retry in a moment."


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The API's error envelope; every error answer has this shape (see ErrorOut in product/api)."""
    return {"error": {"code": code, "message": message, "details": details}}


def show_error(request: HttpRequest, exc: KeelError) -> None:
    """A view's one way to tell a person what went wrong: an error toast with the error's text."""
    messages.error(request, exc.message)


def add_form_error(form: BaseForm, field: str | None, exc: KeelError) -> None:
    """Show a service's refusal beside the field it is about (None: at the top of the form)."""
    form.add_error(field, exc.message)


__all__ = [
    "Conflict",
    "InvalidInput",
    "KeelError",
    "NotAllowed",
    "NotFound",
    "RateLimited",
    "add_form_error",
    "error_body",
    "show_error",
]
