"""The model catalog: context windows, USD prices per million tokens and capabilities, from
settings.LLM_CATALOG.

`structured_outputs`: the model takes `response_format` `json_schema` with `strict: true`; the
structured gateway (product/llm/structured.py) falls back to JSON mode where it does not.

An unknown model gets prices of None, and `cost_usd` returns None for it: the ledger then flags the
call as `cost_unknown` rather than recording it as free.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

MILLION = Decimal(1_000_000)
COST_QUANTUM = Decimal("0.000001")
DEFAULT_CONTEXT_WINDOW = 8192


@dataclass(frozen=True)
class ModelInfo:
    name: str
    context_window: int
    input_per_m: Decimal | None
    cached_input_per_m: Decimal | None
    output_per_m: Decimal | None
    structured_outputs: bool = False


def _price(value: object) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def get_model(name: str) -> ModelInfo:
    entry = settings.LLM_CATALOG.get(name)
    default_structured = bool(settings.LLM_STRUCTURED_OUTPUTS_DEFAULT)
    if entry is None:
        return ModelInfo(
            name, DEFAULT_CONTEXT_WINDOW, None, None, None, structured_outputs=default_structured
        )
    input_price = _price(entry.get("input"))
    cached_price = _price(entry.get("cached_input"))
    return ModelInfo(
        name=name,
        context_window=int(entry.get("context_window", DEFAULT_CONTEXT_WINDOW)),
        input_per_m=input_price,
        # Providers without a cache discount bill cached tokens as ordinary input.
        cached_input_per_m=input_price if cached_price is None else cached_price,
        output_per_m=_price(entry.get("output")),
        structured_outputs=bool(entry.get("structured_outputs", default_structured)),
    )


def cost_usd(
    model: str, input_tokens: int, cached_tokens: int, output_tokens: int
) -> Decimal | None:
    """The price of one call. `input_tokens` includes the cached ones, as providers report it."""
    info = get_model(model)
    if info.input_per_m is None or info.output_per_m is None:
        return None
    cached_price = (
        info.cached_input_per_m if info.cached_input_per_m is not None else info.input_per_m
    )
    cached = min(cached_tokens, input_tokens)
    total = (
        Decimal(input_tokens - cached) * info.input_per_m
        + Decimal(cached) * cached_price
        + Decimal(output_tokens) * info.output_per_m
    ) / MILLION
    return total.quantize(COST_QUANTUM)
