from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="TraceOut")


@_attrs_define
class TraceOut:
    """
    Attributes:
        call_count (int): Model attempts (every retry and fallback counts).
        cost_unknown (bool):
        cost_usd (None | str): Null when a model's price is unknown.
        duration_ms (float | None):
        ended_at (datetime.datetime | None): Null while the trace runs.
        feature (str): The app that made it, or `api`.
        input_tokens (int):
        job_id (None | UUID): The job it ran, if any (`GET /jobs/{id}`).
        name (str):
        output_tokens (int):
        started_at (datetime.datetime):
        status (str): running, ok, error or cancelled
        trace_id (str): 32 hex digits (the OpenTelemetry trace id when exported).
        user_id (None | UUID): Whose request it was.
    """

    call_count: int
    cost_unknown: bool
    cost_usd: None | str
    duration_ms: float | None
    ended_at: datetime.datetime | None
    feature: str
    input_tokens: int
    job_id: None | UUID
    name: str
    output_tokens: int
    started_at: datetime.datetime
    status: str
    trace_id: str
    user_id: None | UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        call_count = self.call_count

        cost_unknown = self.cost_unknown

        cost_usd: None | str
        cost_usd = self.cost_usd

        duration_ms: float | None
        duration_ms = self.duration_ms

        ended_at: None | str
        if isinstance(self.ended_at, datetime.datetime):
            ended_at = self.ended_at.isoformat()
        else:
            ended_at = self.ended_at

        feature = self.feature

        input_tokens = self.input_tokens

        job_id: None | str
        if isinstance(self.job_id, UUID):
            job_id = str(self.job_id)
        else:
            job_id = self.job_id

        name = self.name

        output_tokens = self.output_tokens

        started_at = self.started_at.isoformat()

        status = self.status

        trace_id = self.trace_id

        user_id: None | str
        if isinstance(self.user_id, UUID):
            user_id = str(self.user_id)
        else:
            user_id = self.user_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "call_count": call_count,
                "cost_unknown": cost_unknown,
                "cost_usd": cost_usd,
                "duration_ms": duration_ms,
                "ended_at": ended_at,
                "feature": feature,
                "input_tokens": input_tokens,
                "job_id": job_id,
                "name": name,
                "output_tokens": output_tokens,
                "started_at": started_at,
                "status": status,
                "trace_id": trace_id,
                "user_id": user_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        call_count = d.pop("call_count")

        cost_unknown = d.pop("cost_unknown")

        def _parse_cost_usd(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        cost_usd = _parse_cost_usd(d.pop("cost_usd"))

        def _parse_duration_ms(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        duration_ms = _parse_duration_ms(d.pop("duration_ms"))

        def _parse_ended_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                ended_at_type_0 = datetime.datetime.fromisoformat(data)

                return ended_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        ended_at = _parse_ended_at(d.pop("ended_at"))

        feature = d.pop("feature")

        input_tokens = d.pop("input_tokens")

        def _parse_job_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                job_id_type_0 = UUID(data)

                return job_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        job_id = _parse_job_id(d.pop("job_id"))

        name = d.pop("name")

        output_tokens = d.pop("output_tokens")

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        status = d.pop("status")

        trace_id = d.pop("trace_id")

        def _parse_user_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                user_id_type_0 = UUID(data)

                return user_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        user_id = _parse_user_id(d.pop("user_id"))

        trace_out = cls(
            call_count=call_count,
            cost_unknown=cost_unknown,
            cost_usd=cost_usd,
            duration_ms=duration_ms,
            ended_at=ended_at,
            feature=feature,
            input_tokens=input_tokens,
            job_id=job_id,
            name=name,
            output_tokens=output_tokens,
            started_at=started_at,
            status=status,
            trace_id=trace_id,
            user_id=user_id,
        )

        trace_out.additional_properties = d
        return trace_out

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
