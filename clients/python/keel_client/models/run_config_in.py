from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="RunConfigIn")


@_attrs_define
class RunConfigIn:
    """
    Attributes:
        collection_id (None | Unset | UUID): Grounded targets: the collection the answers come from.
        model (str | Unset): The chat model; empty: the default. Default: ''.
        prompt_version (str | Unset): The target's prompt version; empty: its current one. Default: ''.
        temperature (float | None | Unset):
        top_k (int | Unset): Grounded targets: passages retrieved. Default: 5.
    """

    collection_id: None | Unset | UUID = UNSET
    model: str | Unset = ""
    prompt_version: str | Unset = ""
    temperature: float | None | Unset = UNSET
    top_k: int | Unset = 5
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        collection_id: None | str | Unset
        if isinstance(self.collection_id, Unset):
            collection_id = UNSET
        elif isinstance(self.collection_id, UUID):
            collection_id = str(self.collection_id)
        else:
            collection_id = self.collection_id

        model = self.model

        prompt_version = self.prompt_version

        temperature: float | None | Unset
        if isinstance(self.temperature, Unset):
            temperature = UNSET
        else:
            temperature = self.temperature

        top_k = self.top_k

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if collection_id is not UNSET:
            field_dict["collection_id"] = collection_id
        if model is not UNSET:
            field_dict["model"] = model
        if prompt_version is not UNSET:
            field_dict["prompt_version"] = prompt_version
        if temperature is not UNSET:
            field_dict["temperature"] = temperature
        if top_k is not UNSET:
            field_dict["top_k"] = top_k

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_collection_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                collection_id_type_0 = UUID(data)

                return collection_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        collection_id = _parse_collection_id(d.pop("collection_id", UNSET))

        model = d.pop("model", UNSET)

        prompt_version = d.pop("prompt_version", UNSET)

        def _parse_temperature(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        temperature = _parse_temperature(d.pop("temperature", UNSET))

        top_k = d.pop("top_k", UNSET)

        run_config_in = cls(
            collection_id=collection_id,
            model=model,
            prompt_version=prompt_version,
            temperature=temperature,
            top_k=top_k,
        )

        run_config_in.additional_properties = d
        return run_config_in

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
