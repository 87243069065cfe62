from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.job_out import JobOut
    from ..models.run_detail_out_config import RunDetailOutConfig
    from ..models.run_detail_out_graders_item import RunDetailOutGradersItem
    from ..models.run_detail_out_summary import RunDetailOutSummary


T = TypeVar("T", bound="RunDetailOut")


@_attrs_define
class RunDetailOut:
    """
    Attributes:
        case_count (int): Items × repeats.
        concurrency (int):
        config (RunDetailOutConfig):
        created_at (datetime.datetime):
        dataset_id (UUID):
        dataset_name (str):
        dataset_version (int):
        graders (list[RunDetailOutGradersItem]):
        id (UUID):
        job (JobOut):
        name (str):
        prompt_name (str):
        prompt_version (str):
        repeats (int):
        summary (RunDetailOutSummary): Per grader: mean over items with its 95% interval, pass rate, scored and unscored
            counts; cost, latency percentiles, failed cases.
        target (str):
    """

    case_count: int
    concurrency: int
    config: RunDetailOutConfig
    created_at: datetime.datetime
    dataset_id: UUID
    dataset_name: str
    dataset_version: int
    graders: list[RunDetailOutGradersItem]
    id: UUID
    job: JobOut
    name: str
    prompt_name: str
    prompt_version: str
    repeats: int
    summary: RunDetailOutSummary
    target: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        case_count = self.case_count

        concurrency = self.concurrency

        config = self.config.to_dict()

        created_at = self.created_at.isoformat()

        dataset_id = str(self.dataset_id)

        dataset_name = self.dataset_name

        dataset_version = self.dataset_version

        graders = []
        for graders_item_data in self.graders:
            graders_item = graders_item_data.to_dict()
            graders.append(graders_item)

        id = str(self.id)

        job = self.job.to_dict()

        name = self.name

        prompt_name = self.prompt_name

        prompt_version = self.prompt_version

        repeats = self.repeats

        summary = self.summary.to_dict()

        target = self.target

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "case_count": case_count,
                "concurrency": concurrency,
                "config": config,
                "created_at": created_at,
                "dataset_id": dataset_id,
                "dataset_name": dataset_name,
                "dataset_version": dataset_version,
                "graders": graders,
                "id": id,
                "job": job,
                "name": name,
                "prompt_name": prompt_name,
                "prompt_version": prompt_version,
                "repeats": repeats,
                "summary": summary,
                "target": target,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_out import JobOut  # noqa: PLC0415
        from ..models.run_detail_out_config import RunDetailOutConfig  # noqa: PLC0415
        from ..models.run_detail_out_graders_item import RunDetailOutGradersItem  # noqa: PLC0415
        from ..models.run_detail_out_summary import RunDetailOutSummary  # noqa: PLC0415

        d = dict(src_dict)
        case_count = d.pop("case_count")

        concurrency = d.pop("concurrency")

        config = RunDetailOutConfig.from_dict(d.pop("config"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        dataset_id = UUID(d.pop("dataset_id"))

        dataset_name = d.pop("dataset_name")

        dataset_version = d.pop("dataset_version")

        graders = []
        _graders = d.pop("graders")
        for graders_item_data in _graders:
            graders_item = RunDetailOutGradersItem.from_dict(graders_item_data)

            graders.append(graders_item)

        id = UUID(d.pop("id"))

        job = JobOut.from_dict(d.pop("job"))

        name = d.pop("name")

        prompt_name = d.pop("prompt_name")

        prompt_version = d.pop("prompt_version")

        repeats = d.pop("repeats")

        summary = RunDetailOutSummary.from_dict(d.pop("summary"))

        target = d.pop("target")

        run_detail_out = cls(
            case_count=case_count,
            concurrency=concurrency,
            config=config,
            created_at=created_at,
            dataset_id=dataset_id,
            dataset_name=dataset_name,
            dataset_version=dataset_version,
            graders=graders,
            id=id,
            job=job,
            name=name,
            prompt_name=prompt_name,
            prompt_version=prompt_version,
            repeats=repeats,
            summary=summary,
            target=target,
        )

        run_detail_out.additional_properties = d
        return run_detail_out

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
