"""Model-call errors say their own HTTP meaning (product/llm knows no HTTP, the classes do)."""

from __future__ import annotations

from product.core.errors import KeelError
from product.llm.errors import (
    CallCancelled,
    InputTooLarge,
    LLMError,
    ProviderError,
    QuotaExceeded,
)


def test_it_gives_quota_exceeded_429_with_retry_after() -> None:
    error = QuotaExceeded("Slow down.", retry_after=12.2)
    assert isinstance(error, KeelError)
    assert error.status == 429
    assert error.headers == {"Retry-After": "13"}
    assert error.details == {"retry_after": 12.2}
    assert error.code == "quota_exceeded" and error.message == "Slow down."


def test_it_gives_the_other_errors_their_statuses() -> None:
    assert InputTooLarge().status == 422
    assert ProviderError().status == 502
    assert CallCancelled().status == 409
    assert LLMError().status == 502
    assert ProviderError().message.startswith("The AI model is unavailable")
    assert ProviderError().headers == {} and ProviderError().details is None
