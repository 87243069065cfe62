from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.item_in_input import ItemInInput
    from ..models.item_in_metadata import ItemInMetadata


T = TypeVar("T", bound="ItemIn")


@_attrs_define
class ItemIn:
    """
    Attributes:
        input_ (ItemInInput): The target's input, e.g. {"task": "summarise", "text": "..."}.
        expected_sources (list[str] | Unset):
        key (None | str | Unset): A UUID, or a name the key is derived from (stable across databases); omitted: a new
            random key.
        metadata (ItemInMetadata | Unset):
        reference (str | Unset):  Default: ''.
        tags (list[str] | Unset):
    """

    input_: ItemInInput
    expected_sources: list[str] | Unset = UNSET
    key: None | str | Unset = UNSET
    metadata: ItemInMetadata | Unset = UNSET
    reference: str | Unset = ""
    tags: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        input_ = self.input_.to_dict()

        expected_sources: list[str] | Unset = UNSET
        if not isinstance(self.expected_sources, Unset):
            expected_sources = self.expected_sources

        key: None | str | Unset
        if isinstance(self.key, Unset):
            key = UNSET
        else:
            key = self.key

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        reference = self.reference

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "input": input_,
            }
        )
        if expected_sources is not UNSET:
            field_dict["expected_sources"] = expected_sources
        if key is not UNSET:
            field_dict["key"] = key
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if reference is not UNSET:
            field_dict["reference"] = reference
        if tags is not UNSET:
            field_dict["tags"] = tags

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.item_in_input import ItemInInput  # noqa: PLC0415
        from ..models.item_in_metadata import ItemInMetadata  # noqa: PLC0415

        d = dict(src_dict)
        input_ = ItemInInput.from_dict(d.pop("input"))

        expected_sources = cast(list[str], d.pop("expected_sources", UNSET))

        def _parse_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        key = _parse_key(d.pop("key", UNSET))

        _metadata = d.pop("metadata", UNSET)
        metadata: ItemInMetadata | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = ItemInMetadata.from_dict(_metadata)

        reference = d.pop("reference", UNSET)

        tags = cast(list[str], d.pop("tags", UNSET))

        item_in = cls(
            input_=input_,
            expected_sources=expected_sources,
            key=key,
            metadata=metadata,
            reference=reference,
            tags=tags,
        )

        item_in.additional_properties = d
        return item_in

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
