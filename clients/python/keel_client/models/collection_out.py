from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CollectionOut")


@_attrs_define
class CollectionOut:
    """
    Attributes:
        created_at (datetime.datetime):
        description (str):
        document_count (int): Documents in the collection, in any state.
        id (UUID):
        name (str):
        ready_count (int): Documents searchable now.
        updated_at (datetime.datetime):
    """

    created_at: datetime.datetime
    description: str
    document_count: int
    id: UUID
    name: str
    ready_count: int
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        description = self.description

        document_count = self.document_count

        id = str(self.id)

        name = self.name

        ready_count = self.ready_count

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "description": description,
                "document_count": document_count,
                "id": id,
                "name": name,
                "ready_count": ready_count,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        description = d.pop("description")

        document_count = d.pop("document_count")

        id = UUID(d.pop("id"))

        name = d.pop("name")

        ready_count = d.pop("ready_count")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        collection_out = cls(
            created_at=created_at,
            description=description,
            document_count=document_count,
            id=id,
            name=name,
            ready_count=ready_count,
            updated_at=updated_at,
        )

        collection_out.additional_properties = d
        return collection_out

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
