from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.span_out_attributes import SpanOutAttributes


T = TypeVar("T", bound="SpanOut")


@_attrs_define
class SpanOut:
    """
    Attributes:
        attributes (SpanOutAttributes):
        duration_ms (float):
        error (str):
        kind (str): request, job, queue, retrieval, tool, grader or stage
        name (str):
        parent_span_id (str): Empty for a root step.
        span_id (str):
        started_at (datetime.datetime):
        status (str): ok, error or cancelled
    """

    attributes: SpanOutAttributes
    duration_ms: float
    error: str
    kind: str
    name: str
    parent_span_id: str
    span_id: str
    started_at: datetime.datetime
    status: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attributes = self.attributes.to_dict()

        duration_ms = self.duration_ms

        error = self.error

        kind = self.kind

        name = self.name

        parent_span_id = self.parent_span_id

        span_id = self.span_id

        started_at = self.started_at.isoformat()

        status = self.status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attributes": attributes,
                "duration_ms": duration_ms,
                "error": error,
                "kind": kind,
                "name": name,
                "parent_span_id": parent_span_id,
                "span_id": span_id,
                "started_at": started_at,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.span_out_attributes import SpanOutAttributes  # noqa: PLC0415

        d = dict(src_dict)
        attributes = SpanOutAttributes.from_dict(d.pop("attributes"))

        duration_ms = d.pop("duration_ms")

        error = d.pop("error")

        kind = d.pop("kind")

        name = d.pop("name")

        parent_span_id = d.pop("parent_span_id")

        span_id = d.pop("span_id")

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        status = d.pop("status")

        span_out = cls(
            attributes=attributes,
            duration_ms=duration_ms,
            error=error,
            kind=kind,
            name=name,
            parent_span_id=parent_span_id,
            span_id=span_id,
            started_at=started_at,
            status=status,
        )

        span_out.additional_properties = d
        return span_out

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
