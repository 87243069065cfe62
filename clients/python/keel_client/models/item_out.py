from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.item_out_input import ItemOutInput
    from ..models.item_out_metadata import ItemOutMetadata


T = TypeVar("T", bound="ItemOut")


@_attrs_define
class ItemOut:
    """
    Attributes:
        expected_sources (list[str]):
        id (UUID): This version's row of the item.
        input_ (ItemOutInput):
        key (UUID): The item's key: the same in every version.
        metadata (ItemOutMetadata):
        position (int):
        reference (str):
        source_call_id (None | UUID): The ledger call it was made from.
        tags (list[str]):
        version (int): The version this row belongs to.
    """

    expected_sources: list[str]
    id: UUID
    input_: ItemOutInput
    key: UUID
    metadata: ItemOutMetadata
    position: int
    reference: str
    source_call_id: None | UUID
    tags: list[str]
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        expected_sources = self.expected_sources

        id = str(self.id)

        input_ = self.input_.to_dict()

        key = str(self.key)

        metadata = self.metadata.to_dict()

        position = self.position

        reference = self.reference

        source_call_id: None | str
        if isinstance(self.source_call_id, UUID):
            source_call_id = str(self.source_call_id)
        else:
            source_call_id = self.source_call_id

        tags = self.tags

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "expected_sources": expected_sources,
                "id": id,
                "input": input_,
                "key": key,
                "metadata": metadata,
                "position": position,
                "reference": reference,
                "source_call_id": source_call_id,
                "tags": tags,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.item_out_input import ItemOutInput  # noqa: PLC0415
        from ..models.item_out_metadata import ItemOutMetadata  # noqa: PLC0415

        d = dict(src_dict)
        expected_sources = cast(list[str], d.pop("expected_sources"))

        id = UUID(d.pop("id"))

        input_ = ItemOutInput.from_dict(d.pop("input"))

        key = UUID(d.pop("key"))

        metadata = ItemOutMetadata.from_dict(d.pop("metadata"))

        position = d.pop("position")

        reference = d.pop("reference")

        def _parse_source_call_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                source_call_id_type_0 = UUID(data)

                return source_call_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        source_call_id = _parse_source_call_id(d.pop("source_call_id"))

        tags = cast(list[str], d.pop("tags"))

        version = d.pop("version")

        item_out = cls(
            expected_sources=expected_sources,
            id=id,
            input_=input_,
            key=key,
            metadata=metadata,
            position=position,
            reference=reference,
            source_call_id=source_call_id,
            tags=tags,
            version=version,
        )

        item_out.additional_properties = d
        return item_out

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
