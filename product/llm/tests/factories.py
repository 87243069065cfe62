"""Ledger rows for tests: a succeeded call unless told otherwise (pass `workspace`)."""

from __future__ import annotations

from decimal import Decimal

import factory

from product.llm.models import LLMCall


class LLMCallFactory(factory.django.DjangoModelFactory[LLMCall]):
    class Meta:
        model = LLMCall

    feature = "ask"
    model = "keel-dev-small"
    input_tokens = 120
    output_tokens = 30
    latency_ms = 420
    ttft_ms = 180
    cost_usd = Decimal("0.000120")
    status = LLMCall.Status.SUCCEEDED
