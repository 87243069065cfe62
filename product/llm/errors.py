"""What can go wrong with a model call, in words a user can read.

Every error carries a `code` (stable, for the API and logs), a `user_message` (shown in the UI) and
`retry_after` (seconds) when waiting would help. `as_api_error` gives the API's meaning of each.
"""

from __future__ import annotations

import math
from typing import ClassVar
from uuid import UUID

from product.core.api import ApiError


class LLMError(Exception):
    default_code: ClassVar[str] = "llm_error"
    default_message: ClassVar[str] = "The AI model could not answer. Please try again."

    def __init__(
        self,
        user_message: str | None = None,
        *,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.user_message = user_message or self.default_message
        self.retry_after = retry_after
        # The ledger row of the attempt that failed, when there was one.
        self.call_id: UUID | None = None
        super().__init__(self.user_message)


class QuotaExceeded(LLMError):
    """Over the per-user rate limit or the workspace's monthly budget; no call was made."""

    default_code = "quota_exceeded"
    default_message = "You have reached your AI usage limit. Please try again later."


class InputTooLarge(LLMError):
    """The prompt is longer than the configured cap or the model's context window."""

    default_code = "input_too_large"
    default_message = "The text is too long for the AI model. Please shorten it."


class ProviderError(LLMError):
    """The provider failed after retries and fallback.

    `retry_after` is set when the provider asked us to wait longer than we wait in-process: the
    caller (a Celery task) turns it into a retry with that countdown.
    """

    default_code = "provider_error"
    default_message = "The AI model is unavailable right now. Please try again in a moment."


class CallCancelled(LLMError):
    default_code = "cancelled"
    default_message = "The request was cancelled."


def as_api_error(exc: LLMError) -> ApiError:
    """The API's answer to an LLMError: 429 (+ Retry-After), 422, 502, or 409 when cancelled."""
    headers: dict[str, str] = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    details = {"retry_after": exc.retry_after} if exc.retry_after is not None else None
    if isinstance(exc, QuotaExceeded):
        status = 429
    elif isinstance(exc, InputTooLarge):
        status = 422
    elif isinstance(exc, CallCancelled):
        status = 409
    else:
        status = 502
    return ApiError(status, exc.code, exc.user_message, details=details, headers=headers)
