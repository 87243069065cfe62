"""What can go wrong with a model call, in words a user can read.

Each error is a `KeelError` (product/core/errors.py): a stable `code` (for the API and logs), a
`message` shown to the person as is, and `retry_after` (seconds) when waiting would help. The
class says what the failure means over HTTP (429 over quota, 422 too long, 502 provider down, 409
cancelled), so the API answers it without this module knowing anything about HTTP.
"""

from __future__ import annotations

from uuid import UUID

from product.core.errors import KeelError


class LLMError(KeelError):
    default_status = 502
    default_code = "llm_error"
    default_message = "The AI model could not answer. Please try again."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code, retry_after=retry_after)
        # The ledger row of the attempt that failed, when there was one.
        self.call_id: UUID | None = None


class QuotaExceeded(LLMError):
    """Over the per-user rate limit or the workspace's monthly budget; no call was made."""

    default_status = 429
    default_code = "quota_exceeded"
    default_message = "You have reached your AI usage limit. Please try again later."


class InputTooLarge(LLMError):
    """The prompt is longer than the configured cap or the model's context window."""

    default_status = 422
    default_code = "input_too_large"
    default_message = "The text is too long for the AI model. Please shorten it."


class ProviderError(LLMError):
    """The provider failed after retries and fallback.

    `retry_after` is set when the provider asked us to wait longer than we wait in-process: the
    caller (a Celery task) turns it into a retry with that countdown.
    """

    default_status = 502
    default_code = "provider_error"
    default_message = "The AI model is unavailable right now. Please try again in a moment."


class StructuredOutputInvalid(LLMError):
    """The model's answer did not fit the requested schema, even after one repair attempt.

    `errors`: pydantic's error list for the last attempt, for logs and tests; the message names the
    fields in words."""

    default_status = 502
    default_code = "structured_output_invalid"
    default_message = "The AI model did not return the expected fields. Please try again."

    def __init__(self, message: str | None = None, *, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors: list[str] = list(errors or [])


class CallCancelled(LLMError):
    default_status = 409
    default_code = "cancelled"
    default_message = "The request was cancelled."
