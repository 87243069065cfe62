from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.item_patch_input_type_0 import ItemPatchInputType0
    from ..models.item_patch_metadata_type_0 import ItemPatchMetadataType0


T = TypeVar("T", bound="ItemPatch")


@_attrs_define
class ItemPatch:
    """
    Attributes:
        expected_sources (list[str] | None | Unset):
        input_ (ItemPatchInputType0 | None | Unset):
        metadata (ItemPatchMetadataType0 | None | Unset):
        reference (None | str | Unset):
        tags (list[str] | None | Unset):
    """

    expected_sources: list[str] | None | Unset = UNSET
    input_: ItemPatchInputType0 | None | Unset = UNSET
    metadata: ItemPatchMetadataType0 | None | Unset = UNSET
    reference: None | str | Unset = UNSET
    tags: list[str] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.item_patch_input_type_0 import ItemPatchInputType0  # noqa: PLC0415
        from ..models.item_patch_metadata_type_0 import ItemPatchMetadataType0  # noqa: PLC0415

        expected_sources: list[str] | None | Unset
        if isinstance(self.expected_sources, Unset):
            expected_sources = UNSET
        elif isinstance(self.expected_sources, list):
            expected_sources = self.expected_sources

        else:
            expected_sources = self.expected_sources

        input_: dict[str, Any] | None | Unset
        if isinstance(self.input_, Unset):
            input_ = UNSET
        elif isinstance(self.input_, ItemPatchInputType0):
            input_ = self.input_.to_dict()
        else:
            input_ = self.input_

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, ItemPatchMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        reference: None | str | Unset
        if isinstance(self.reference, Unset):
            reference = UNSET
        else:
            reference = self.reference

        tags: list[str] | None | Unset
        if isinstance(self.tags, Unset):
            tags = UNSET
        elif isinstance(self.tags, list):
            tags = self.tags

        else:
            tags = self.tags

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if expected_sources is not UNSET:
            field_dict["expected_sources"] = expected_sources
        if input_ is not UNSET:
            field_dict["input"] = input_
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if reference is not UNSET:
            field_dict["reference"] = reference
        if tags is not UNSET:
            field_dict["tags"] = tags

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.item_patch_input_type_0 import ItemPatchInputType0  # noqa: PLC0415
        from ..models.item_patch_metadata_type_0 import ItemPatchMetadataType0  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_expected_sources(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                expected_sources_type_0 = cast(list[str], data)

                return expected_sources_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        expected_sources = _parse_expected_sources(d.pop("expected_sources", UNSET))

        def _parse_input_(data: object) -> ItemPatchInputType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                input_type_0 = ItemPatchInputType0.from_dict(data)

                return input_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ItemPatchInputType0 | None | Unset, data)

        input_ = _parse_input_(d.pop("input", UNSET))

        def _parse_metadata(data: object) -> ItemPatchMetadataType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = ItemPatchMetadataType0.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ItemPatchMetadataType0 | None | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        def _parse_reference(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reference = _parse_reference(d.pop("reference", UNSET))

        def _parse_tags(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                tags_type_0 = cast(list[str], data)

                return tags_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        tags = _parse_tags(d.pop("tags", UNSET))

        item_patch = cls(
            expected_sources=expected_sources,
            input_=input_,
            metadata=metadata,
            reference=reference,
            tags=tags,
        )

        item_patch.additional_properties = d
        return item_patch

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
