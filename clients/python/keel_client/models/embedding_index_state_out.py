from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.embedding_index_out import EmbeddingIndexOut
    from ..models.embedding_model_out import EmbeddingModelOut


T = TypeVar("T", bound="EmbeddingIndexStateOut")


@_attrs_define
class EmbeddingIndexStateOut:
    """
    Attributes:
        active (EmbeddingIndexOut | None): Answers searches now (null: no upload yet).
        building (EmbeddingIndexOut | None): A switch in progress, if any.
        default_model (str): The model of a workspace's first index.
        models (list[EmbeddingModelOut]): The models a workspace may switch to.
    """

    active: EmbeddingIndexOut | None
    building: EmbeddingIndexOut | None
    default_model: str
    models: list[EmbeddingModelOut]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.embedding_index_out import EmbeddingIndexOut  # noqa: PLC0415

        active: dict[str, Any] | None
        if isinstance(self.active, EmbeddingIndexOut):
            active = self.active.to_dict()
        else:
            active = self.active

        building: dict[str, Any] | None
        if isinstance(self.building, EmbeddingIndexOut):
            building = self.building.to_dict()
        else:
            building = self.building

        default_model = self.default_model

        models = []
        for models_item_data in self.models:
            models_item = models_item_data.to_dict()
            models.append(models_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "active": active,
                "building": building,
                "default_model": default_model,
                "models": models,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.embedding_index_out import EmbeddingIndexOut  # noqa: PLC0415
        from ..models.embedding_model_out import EmbeddingModelOut  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_active(data: object) -> EmbeddingIndexOut | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                active_type_0 = EmbeddingIndexOut.from_dict(data)

                return active_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EmbeddingIndexOut | None, data)

        active = _parse_active(d.pop("active"))

        def _parse_building(data: object) -> EmbeddingIndexOut | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                building_type_0 = EmbeddingIndexOut.from_dict(data)

                return building_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EmbeddingIndexOut | None, data)

        building = _parse_building(d.pop("building"))

        default_model = d.pop("default_model")

        models = []
        _models = d.pop("models")
        for models_item_data in _models:
            models_item = EmbeddingModelOut.from_dict(models_item_data)

            models.append(models_item)

        embedding_index_state_out = cls(
            active=active,
            building=building,
            default_model=default_model,
            models=models,
        )

        embedding_index_state_out.additional_properties = d
        return embedding_index_state_out

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
