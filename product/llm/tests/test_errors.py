from __future__ import annotations

from product.llm.errors import (
    CallCancelled,
    InputTooLarge,
    ProviderError,
    QuotaExceeded,
    as_api_error,
)


def test_it_maps_quota_exceeded_to_429_with_retry_after() -> None:
    error = as_api_error(QuotaExceeded("Slow down.", retry_after=12.2))
    assert error.status == 429
    assert error.headers == {"Retry-After": "13"}
    assert error.code == "quota_exceeded" and error.message == "Slow down."


def test_it_maps_the_other_errors() -> None:
    assert as_api_error(InputTooLarge()).status == 422
    assert as_api_error(ProviderError()).status == 502
    assert as_api_error(CallCancelled()).status == 409
    assert as_api_error(ProviderError()).message.startswith("The AI model is unavailable")
