from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="UsageOut")


@_attrs_define
class UsageOut:
    """
    Attributes:
        cached_tokens (int):
        calls (int): Model calls made for this job (every attempt counts).
        cost_usd (None | str): Null when a model's price is unknown.
        input_tokens (int):
        latency_ms (int | None):
        model (str):
        output_tokens (int):
    """

    cached_tokens: int
    calls: int
    cost_usd: None | str
    input_tokens: int
    latency_ms: int | None
    model: str
    output_tokens: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cached_tokens = self.cached_tokens

        calls = self.calls

        cost_usd: None | str
        cost_usd = self.cost_usd

        input_tokens = self.input_tokens

        latency_ms: int | None
        latency_ms = self.latency_ms

        model = self.model

        output_tokens = self.output_tokens

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cached_tokens": cached_tokens,
                "calls": calls,
                "cost_usd": cost_usd,
                "input_tokens": input_tokens,
                "latency_ms": latency_ms,
                "model": model,
                "output_tokens": output_tokens,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        cached_tokens = d.pop("cached_tokens")

        calls = d.pop("calls")

        def _parse_cost_usd(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        cost_usd = _parse_cost_usd(d.pop("cost_usd"))

        input_tokens = d.pop("input_tokens")

        def _parse_latency_ms(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        latency_ms = _parse_latency_ms(d.pop("latency_ms"))

        model = d.pop("model")

        output_tokens = d.pop("output_tokens")

        usage_out = cls(
            cached_tokens=cached_tokens,
            calls=calls,
            cost_usd=cost_usd,
            input_tokens=input_tokens,
            latency_ms=latency_ms,
            model=model,
            output_tokens=output_tokens,
        )

        usage_out.additional_properties = d
        return usage_out

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
