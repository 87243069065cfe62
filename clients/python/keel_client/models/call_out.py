from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.call_out_bodies import CallOutBodies
from ..models.call_out_kind import CallOutKind

T = TypeVar("T", bound="CallOut")


@_attrs_define
class CallOut:
    """
    Attributes:
        attempt (int): 1 for the first attempt; retries and the fallback count up.
        bodies (CallOutBodies): `not_stored`: the workspace keeps no prompts and responses; `pruned`: removed after
            LLM_BODY_RETENTION_DAYS. The sizes stay either way.
        cached_tokens (int):
        cost_unknown (bool):
        cost_usd (None | str):
        ended_at (datetime.datetime):
        error (str):
        id (UUID):
        input_tokens (int):
        kind (CallOutKind):
        latency_ms (int | None):
        model (str):
        output_tokens (int):
        parent_span_id (str): The step it was made in (a span's `span_id`).
        prompt_name (str):
        prompt_version (str):
        request_chars (int | None):
        request_messages (Any): The exact messages sent (redacted), or null.
        response_chars (int | None):
        response_text (None | str): The text received, or null.
        retry_of (None | UUID): The attempt this one retried.
        span_id (str):
        started_at (datetime.datetime): When the attempt started (its end minus latency).
        status (str): succeeded, failed, incomplete or cancelled
        ttft_ms (int | None):
    """

    attempt: int
    bodies: CallOutBodies
    cached_tokens: int
    cost_unknown: bool
    cost_usd: None | str
    ended_at: datetime.datetime
    error: str
    id: UUID
    input_tokens: int
    kind: CallOutKind
    latency_ms: int | None
    model: str
    output_tokens: int
    parent_span_id: str
    prompt_name: str
    prompt_version: str
    request_chars: int | None
    request_messages: Any
    response_chars: int | None
    response_text: None | str
    retry_of: None | UUID
    span_id: str
    started_at: datetime.datetime
    status: str
    ttft_ms: int | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempt = self.attempt

        bodies = self.bodies.value

        cached_tokens = self.cached_tokens

        cost_unknown = self.cost_unknown

        cost_usd: None | str
        cost_usd = self.cost_usd

        ended_at = self.ended_at.isoformat()

        error = self.error

        id = str(self.id)

        input_tokens = self.input_tokens

        kind = self.kind.value

        latency_ms: int | None
        latency_ms = self.latency_ms

        model = self.model

        output_tokens = self.output_tokens

        parent_span_id = self.parent_span_id

        prompt_name = self.prompt_name

        prompt_version = self.prompt_version

        request_chars: int | None
        request_chars = self.request_chars

        request_messages = self.request_messages

        response_chars: int | None
        response_chars = self.response_chars

        response_text: None | str
        response_text = self.response_text

        retry_of: None | str
        if isinstance(self.retry_of, UUID):
            retry_of = str(self.retry_of)
        else:
            retry_of = self.retry_of

        span_id = self.span_id

        started_at = self.started_at.isoformat()

        status = self.status

        ttft_ms: int | None
        ttft_ms = self.ttft_ms

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempt": attempt,
                "bodies": bodies,
                "cached_tokens": cached_tokens,
                "cost_unknown": cost_unknown,
                "cost_usd": cost_usd,
                "ended_at": ended_at,
                "error": error,
                "id": id,
                "input_tokens": input_tokens,
                "kind": kind,
                "latency_ms": latency_ms,
                "model": model,
                "output_tokens": output_tokens,
                "parent_span_id": parent_span_id,
                "prompt_name": prompt_name,
                "prompt_version": prompt_version,
                "request_chars": request_chars,
                "request_messages": request_messages,
                "response_chars": response_chars,
                "response_text": response_text,
                "retry_of": retry_of,
                "span_id": span_id,
                "started_at": started_at,
                "status": status,
                "ttft_ms": ttft_ms,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        attempt = d.pop("attempt")

        bodies = CallOutBodies(d.pop("bodies"))

        cached_tokens = d.pop("cached_tokens")

        cost_unknown = d.pop("cost_unknown")

        def _parse_cost_usd(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        cost_usd = _parse_cost_usd(d.pop("cost_usd"))

        ended_at = datetime.datetime.fromisoformat(d.pop("ended_at"))

        error = d.pop("error")

        id = UUID(d.pop("id"))

        input_tokens = d.pop("input_tokens")

        kind = CallOutKind(d.pop("kind"))

        def _parse_latency_ms(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        latency_ms = _parse_latency_ms(d.pop("latency_ms"))

        model = d.pop("model")

        output_tokens = d.pop("output_tokens")

        parent_span_id = d.pop("parent_span_id")

        prompt_name = d.pop("prompt_name")

        prompt_version = d.pop("prompt_version")

        def _parse_request_chars(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        request_chars = _parse_request_chars(d.pop("request_chars"))

        request_messages = d.pop("request_messages")

        def _parse_response_chars(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        response_chars = _parse_response_chars(d.pop("response_chars"))

        def _parse_response_text(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        response_text = _parse_response_text(d.pop("response_text"))

        def _parse_retry_of(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                retry_of_type_0 = UUID(data)

                return retry_of_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        retry_of = _parse_retry_of(d.pop("retry_of"))

        span_id = d.pop("span_id")

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        status = d.pop("status")

        def _parse_ttft_ms(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        ttft_ms = _parse_ttft_ms(d.pop("ttft_ms"))

        call_out = cls(
            attempt=attempt,
            bodies=bodies,
            cached_tokens=cached_tokens,
            cost_unknown=cost_unknown,
            cost_usd=cost_usd,
            ended_at=ended_at,
            error=error,
            id=id,
            input_tokens=input_tokens,
            kind=kind,
            latency_ms=latency_ms,
            model=model,
            output_tokens=output_tokens,
            parent_span_id=parent_span_id,
            prompt_name=prompt_name,
            prompt_version=prompt_version,
            request_chars=request_chars,
            request_messages=request_messages,
            response_chars=response_chars,
            response_text=response_text,
            retry_of=retry_of,
            span_id=span_id,
            started_at=started_at,
            status=status,
            ttft_ms=ttft_ms,
        )

        call_out.additional_properties = d
        return call_out

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
