from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.grader_in import GraderIn
    from ..models.run_config_in import RunConfigIn


T = TypeVar("T", bound="RunIn")


@_attrs_define
class RunIn:
    """
    Attributes:
        dataset_id (UUID):
        graders (list[GraderIn]):
        concurrency (int | None | Unset): Cases in flight; omitted: default.
        config (RunConfigIn | Unset):
        name (str | Unset):  Default: ''.
        repeats (int | Unset):  Default: 1.
        version (int | None | Unset): The dataset version; omitted: current.
    """

    dataset_id: UUID
    graders: list[GraderIn]
    concurrency: int | None | Unset = UNSET
    config: RunConfigIn | Unset = UNSET
    name: str | Unset = ""
    repeats: int | Unset = 1
    version: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        dataset_id = str(self.dataset_id)

        graders = []
        for graders_item_data in self.graders:
            graders_item = graders_item_data.to_dict()
            graders.append(graders_item)

        concurrency: int | None | Unset
        if isinstance(self.concurrency, Unset):
            concurrency = UNSET
        else:
            concurrency = self.concurrency

        config: dict[str, Any] | Unset = UNSET
        if not isinstance(self.config, Unset):
            config = self.config.to_dict()

        name = self.name

        repeats = self.repeats

        version: int | None | Unset
        if isinstance(self.version, Unset):
            version = UNSET
        else:
            version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "dataset_id": dataset_id,
                "graders": graders,
            }
        )
        if concurrency is not UNSET:
            field_dict["concurrency"] = concurrency
        if config is not UNSET:
            field_dict["config"] = config
        if name is not UNSET:
            field_dict["name"] = name
        if repeats is not UNSET:
            field_dict["repeats"] = repeats
        if version is not UNSET:
            field_dict["version"] = version

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.grader_in import GraderIn  # noqa: PLC0415
        from ..models.run_config_in import RunConfigIn  # noqa: PLC0415

        d = dict(src_dict)
        dataset_id = UUID(d.pop("dataset_id"))

        graders = []
        _graders = d.pop("graders")
        for graders_item_data in _graders:
            graders_item = GraderIn.from_dict(graders_item_data)

            graders.append(graders_item)

        def _parse_concurrency(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        concurrency = _parse_concurrency(d.pop("concurrency", UNSET))

        _config = d.pop("config", UNSET)
        config: RunConfigIn | Unset
        if isinstance(_config, Unset):
            config = UNSET
        else:
            config = RunConfigIn.from_dict(_config)

        name = d.pop("name", UNSET)

        repeats = d.pop("repeats", UNSET)

        def _parse_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        version = _parse_version(d.pop("version", UNSET))

        run_in = cls(
            dataset_id=dataset_id,
            graders=graders,
            concurrency=concurrency,
            config=config,
            name=name,
            repeats=repeats,
            version=version,
        )

        run_in.additional_properties = d
        return run_in

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
