from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.item_out import ItemOut
    from ..models.version_out import VersionOut


T = TypeVar("T", bound="ItemChangeOut")


@_attrs_define
class ItemChangeOut:
    """
    Attributes:
        item (ItemOut | None): The item in that version (null once deleted).
        version (VersionOut):
    """

    item: ItemOut | None
    version: VersionOut
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.item_out import ItemOut  # noqa: PLC0415

        item: dict[str, Any] | None
        if isinstance(self.item, ItemOut):
            item = self.item.to_dict()
        else:
            item = self.item

        version = self.version.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "item": item,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.item_out import ItemOut  # noqa: PLC0415
        from ..models.version_out import VersionOut  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_item(data: object) -> ItemOut | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                item_type_0 = ItemOut.from_dict(data)

                return item_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ItemOut | None, data)

        item = _parse_item(d.pop("item"))

        version = VersionOut.from_dict(d.pop("version"))

        item_change_out = cls(
            item=item,
            version=version,
        )

        item_change_out.additional_properties = d
        return item_change_out

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
