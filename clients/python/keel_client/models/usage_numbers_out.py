from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="UsageNumbersOut")


@_attrs_define
class UsageNumbersOut:
    """
    Attributes:
        cached_tokens (int):
        cost_unknown_calls (int): Calls whose model has no known price.
        cost_usd (str): The priced calls' cost, in dollars.
        error_rate (float | None): failed / requests; null without requests.
        failed (int):
        input_tokens (int):
        latency_mean_ms (float | None):
        latency_p50_ms (float | None): From latency histograms (buckets √2 apart): an estimate within its bucket.
        latency_p95_ms (float | None):
        output_tokens (int):
        requests (int): Model attempts on the ledger (a retry counts again).
        ttft_p50_ms (float | None): Time to the first streamed token.
        ttft_p95_ms (float | None):
    """

    cached_tokens: int
    cost_unknown_calls: int
    cost_usd: str
    error_rate: float | None
    failed: int
    input_tokens: int
    latency_mean_ms: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    output_tokens: int
    requests: int
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cached_tokens = self.cached_tokens

        cost_unknown_calls = self.cost_unknown_calls

        cost_usd = self.cost_usd

        error_rate: float | None
        error_rate = self.error_rate

        failed = self.failed

        input_tokens = self.input_tokens

        latency_mean_ms: float | None
        latency_mean_ms = self.latency_mean_ms

        latency_p50_ms: float | None
        latency_p50_ms = self.latency_p50_ms

        latency_p95_ms: float | None
        latency_p95_ms = self.latency_p95_ms

        output_tokens = self.output_tokens

        requests = self.requests

        ttft_p50_ms: float | None
        ttft_p50_ms = self.ttft_p50_ms

        ttft_p95_ms: float | None
        ttft_p95_ms = self.ttft_p95_ms

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cached_tokens": cached_tokens,
                "cost_unknown_calls": cost_unknown_calls,
                "cost_usd": cost_usd,
                "error_rate": error_rate,
                "failed": failed,
                "input_tokens": input_tokens,
                "latency_mean_ms": latency_mean_ms,
                "latency_p50_ms": latency_p50_ms,
                "latency_p95_ms": latency_p95_ms,
                "output_tokens": output_tokens,
                "requests": requests,
                "ttft_p50_ms": ttft_p50_ms,
                "ttft_p95_ms": ttft_p95_ms,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        cached_tokens = d.pop("cached_tokens")

        cost_unknown_calls = d.pop("cost_unknown_calls")

        cost_usd = d.pop("cost_usd")

        def _parse_error_rate(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        error_rate = _parse_error_rate(d.pop("error_rate"))

        failed = d.pop("failed")

        input_tokens = d.pop("input_tokens")

        def _parse_latency_mean_ms(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        latency_mean_ms = _parse_latency_mean_ms(d.pop("latency_mean_ms"))

        def _parse_latency_p50_ms(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        latency_p50_ms = _parse_latency_p50_ms(d.pop("latency_p50_ms"))

        def _parse_latency_p95_ms(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        latency_p95_ms = _parse_latency_p95_ms(d.pop("latency_p95_ms"))

        output_tokens = d.pop("output_tokens")

        requests = d.pop("requests")

        def _parse_ttft_p50_ms(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        ttft_p50_ms = _parse_ttft_p50_ms(d.pop("ttft_p50_ms"))

        def _parse_ttft_p95_ms(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        ttft_p95_ms = _parse_ttft_p95_ms(d.pop("ttft_p95_ms"))

        usage_numbers_out = cls(
            cached_tokens=cached_tokens,
            cost_unknown_calls=cost_unknown_calls,
            cost_usd=cost_usd,
            error_rate=error_rate,
            failed=failed,
            input_tokens=input_tokens,
            latency_mean_ms=latency_mean_ms,
            latency_p50_ms=latency_p50_ms,
            latency_p95_ms=latency_p95_ms,
            output_tokens=output_tokens,
            requests=requests,
            ttft_p50_ms=ttft_p50_ms,
            ttft_p95_ms=ttft_p95_ms,
        )

        usage_numbers_out.additional_properties = d
        return usage_numbers_out

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
