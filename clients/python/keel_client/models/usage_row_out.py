from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="UsageRowOut")


@_attrs_define
class UsageRowOut:
    """
    Attributes:
        cached_tokens (int):
        cost_unknown_calls (int): Calls whose model has no known price.
        cost_usd (str): The priced calls' cost, in dollars.
        day (datetime.date):
        error_rate (float | None): failed / requests; null without requests.
        failed (int):
        feature (None | str):
        input_tokens (int):
        latency_mean_ms (float | None):
        latency_p50_ms (float | None): From latency histograms (buckets √2 apart): an estimate within its bucket.
        latency_p95_ms (float | None):
        member_email (None | str):
        member_id (None | UUID): Null for calls nobody made (or grouped).
        model (None | str): Null when grouped by something else.
        output_tokens (int):
        requests (int): Model attempts on the ledger (a retry counts again).
        ttft_p50_ms (float | None): Time to the first streamed token.
        ttft_p95_ms (float | None):
    """

    cached_tokens: int
    cost_unknown_calls: int
    cost_usd: str
    day: datetime.date
    error_rate: float | None
    failed: int
    feature: None | str
    input_tokens: int
    latency_mean_ms: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    member_email: None | str
    member_id: None | UUID
    model: None | str
    output_tokens: int
    requests: int
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cached_tokens = self.cached_tokens

        cost_unknown_calls = self.cost_unknown_calls

        cost_usd = self.cost_usd

        day = self.day.isoformat()

        error_rate: float | None
        error_rate = self.error_rate

        failed = self.failed

        feature: None | str
        feature = self.feature

        input_tokens = self.input_tokens

        latency_mean_ms: float | None
        latency_mean_ms = self.latency_mean_ms

        latency_p50_ms: float | None
        latency_p50_ms = self.latency_p50_ms

        latency_p95_ms: float | None
        latency_p95_ms = self.latency_p95_ms

        member_email: None | str
        member_email = self.member_email

        member_id: None | str
        if isinstance(self.member_id, UUID):
            member_id = str(self.member_id)
        else:
            member_id = self.member_id

        model: None | str
        model = self.model

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
                "day": day,
                "error_rate": error_rate,
                "failed": failed,
                "feature": feature,
                "input_tokens": input_tokens,
                "latency_mean_ms": latency_mean_ms,
                "latency_p50_ms": latency_p50_ms,
                "latency_p95_ms": latency_p95_ms,
                "member_email": member_email,
                "member_id": member_id,
                "model": model,
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

        day = datetime.date.fromisoformat(d.pop("day"))

        def _parse_error_rate(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        error_rate = _parse_error_rate(d.pop("error_rate"))

        failed = d.pop("failed")

        def _parse_feature(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        feature = _parse_feature(d.pop("feature"))

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

        def _parse_member_email(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        member_email = _parse_member_email(d.pop("member_email"))

        def _parse_member_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                member_id_type_0 = UUID(data)

                return member_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        member_id = _parse_member_id(d.pop("member_id"))

        def _parse_model(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        model = _parse_model(d.pop("model"))

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

        usage_row_out = cls(
            cached_tokens=cached_tokens,
            cost_unknown_calls=cost_unknown_calls,
            cost_usd=cost_usd,
            day=day,
            error_rate=error_rate,
            failed=failed,
            feature=feature,
            input_tokens=input_tokens,
            latency_mean_ms=latency_mean_ms,
            latency_p50_ms=latency_p50_ms,
            latency_p95_ms=latency_p95_ms,
            member_email=member_email,
            member_id=member_id,
            model=model,
            output_tokens=output_tokens,
            requests=requests,
            ttft_p50_ms=ttft_p50_ms,
            ttft_p95_ms=ttft_p95_ms,
        )

        usage_row_out.additional_properties = d
        return usage_row_out

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
