from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..models.import_dataset_items_multi_part_body_params_format import ImportDatasetItemsMultiPartBodyParamsFormat
from ..types import UNSET, File, FileTypes, Unset

T = TypeVar("T", bound="ImportDatasetItemsMultiPartBodyParams")


@_attrs_define
class ImportDatasetItemsMultiPartBodyParams:
    """
    Attributes:
        file (File | None | Unset): The JSONL or CSV file.
        format_ (ImportDatasetItemsMultiPartBodyParamsFormat | Unset): jsonl or csv; empty: from the name. Default:
            ImportDatasetItemsMultiPartBodyParamsFormat.VALUE_0.
        replace (bool | Unset): Replace all items instead of adding. Default: False.
    """

    file: File | None | Unset = UNSET
    format_: ImportDatasetItemsMultiPartBodyParamsFormat | Unset = ImportDatasetItemsMultiPartBodyParamsFormat.VALUE_0
    replace: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        file: FileTypes | None | Unset
        if isinstance(self.file, Unset):
            file = UNSET
        elif isinstance(self.file, File):
            file = self.file.to_tuple()

        else:
            file = self.file

        format_: str | Unset = UNSET
        if not isinstance(self.format_, Unset):
            format_ = self.format_.value

        replace = self.replace

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if file is not UNSET:
            field_dict["file"] = file
        if format_ is not UNSET:
            field_dict["format"] = format_
        if replace is not UNSET:
            field_dict["replace"] = replace

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        if not isinstance(self.file, Unset):
            if isinstance(self.file, File):
                files.append(("file", self.file.to_tuple()))
            else:
                files.append(("file", (None, str(self.file).encode(), "text/plain")))

        if not isinstance(self.format_, Unset):
            files.append(("format", (None, str(self.format_.value).encode(), "text/plain")))

        if not isinstance(self.replace, Unset):
            files.append(("replace", (None, str(self.replace).encode(), "text/plain")))

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_file(data: object) -> File | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, bytes):
                    raise TypeError()
                file_type_0 = File(payload=BytesIO(data))

                return file_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(File | None | Unset, data)

        file = _parse_file(d.pop("file", UNSET))

        _format_ = d.pop("format", UNSET)
        format_: ImportDatasetItemsMultiPartBodyParamsFormat | Unset
        if isinstance(_format_, Unset):
            format_ = UNSET
        else:
            format_ = ImportDatasetItemsMultiPartBodyParamsFormat(_format_)

        replace = d.pop("replace", UNSET)

        import_dataset_items_multi_part_body_params = cls(
            file=file,
            format_=format_,
            replace=replace,
        )

        import_dataset_items_multi_part_body_params.additional_properties = d
        return import_dataset_items_multi_part_body_params

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
