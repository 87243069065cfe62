from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="MessageUsageOut")


@_attrs_define
class MessageUsageOut:
    """
    Attributes:
        cost_usd (None | str): Null while unknown.
        input_tokens (int | None):
        latency_ms (int | None):
        model (str):
        output_tokens (int | None):
        ttft_ms (int | None): Time to the first token.
    """

    cost_usd: None | str
    input_tokens: int | None
    latency_ms: int | None
    model: str
    output_tokens: int | None
    ttft_ms: int | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cost_usd: None | str
        cost_usd = self.cost_usd

        input_tokens: int | None
        input_tokens = self.input_tokens

        latency_ms: int | None
        latency_ms = self.latency_ms

        model = self.model

        output_tokens: int | None
        output_tokens = self.output_tokens

        ttft_ms: int | None
        ttft_ms = self.ttft_ms

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cost_usd": cost_usd,
                "input_tokens": input_tokens,
                "latency_ms": latency_ms,
                "model": model,
                "output_tokens": output_tokens,
                "ttft_ms": ttft_ms,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_cost_usd(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        cost_usd = _parse_cost_usd(d.pop("cost_usd"))

        def _parse_input_tokens(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        input_tokens = _parse_input_tokens(d.pop("input_tokens"))

        def _parse_latency_ms(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        latency_ms = _parse_latency_ms(d.pop("latency_ms"))

        model = d.pop("model")

        def _parse_output_tokens(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        output_tokens = _parse_output_tokens(d.pop("output_tokens"))

        def _parse_ttft_ms(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        ttft_ms = _parse_ttft_ms(d.pop("ttft_ms"))

        message_usage_out = cls(
            cost_usd=cost_usd,
            input_tokens=input_tokens,
            latency_ms=latency_ms,
            model=model,
            output_tokens=output_tokens,
            ttft_ms=ttft_ms,
        )

        message_usage_out.additional_properties = d
        return message_usage_out

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
