from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="VersionOut")


@_attrs_define
class VersionOut:
    """
    Attributes:
        created_at (datetime.datetime):
        dataset_id (UUID):
        id (UUID):
        item_count (int):
        note (str):
        number (int):
    """

    created_at: datetime.datetime
    dataset_id: UUID
    id: UUID
    item_count: int
    note: str
    number: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        dataset_id = str(self.dataset_id)

        id = str(self.id)

        item_count = self.item_count

        note = self.note

        number = self.number

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "dataset_id": dataset_id,
                "id": id,
                "item_count": item_count,
                "note": note,
                "number": number,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        dataset_id = UUID(d.pop("dataset_id"))

        id = UUID(d.pop("id"))

        item_count = d.pop("item_count")

        note = d.pop("note")

        number = d.pop("number")

        version_out = cls(
            created_at=created_at,
            dataset_id=dataset_id,
            id=id,
            item_count=item_count,
            note=note,
            number=number,
        )

        version_out.additional_properties = d
        return version_out

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
