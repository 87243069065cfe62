from __future__ import annotations

from decimal import Decimal
from typing import Any

from product.llm.catalog import cost_usd, get_model
from product.llm.tokens import count_message_tokens, count_tokens


def test_it_prices_input_cached_and_output_tokens(settings: Any) -> None:
    settings.LLM_CATALOG = {
        "m": {"context_window": 1000, "input": "2.00", "cached_input": "0.50", "output": "8.00"}
    }
    # 1000 input of which 400 cached, 500 output: 600*2 + 400*0.5 + 500*8 = 5400 per million.
    assert cost_usd("m", 1000, 400, 500) == Decimal("0.005400")
    assert get_model("m").context_window == 1000


def test_it_bills_cached_tokens_as_input_without_a_cache_price(settings: Any) -> None:
    settings.LLM_CATALOG = {"m": {"input": "1.00", "output": "1.00"}}
    assert get_model("m").cached_input_per_m == Decimal("1.00")
    assert cost_usd("m", 1_000_000, 500_000, 0) == Decimal("1.000000")


def test_it_returns_no_price_for_an_unknown_model() -> None:
    info = get_model("no-such-model")
    assert info.input_per_m is None and info.output_per_m is None
    assert cost_usd("no-such-model", 10, 0, 10) is None


def test_it_counts_tokens_offline() -> None:
    assert count_tokens("hello world") == 2
    assert count_message_tokens([{"role": "user", "content": "hello world"}]) == 3 + 3 + 2 + 1
