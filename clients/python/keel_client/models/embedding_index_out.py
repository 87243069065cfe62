from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.job_out import JobOut


T = TypeVar("T", bound="EmbeddingIndexOut")


@_attrs_define
class EmbeddingIndexOut:
    """
    Attributes:
        activated_at (datetime.datetime | None):
        created_at (datetime.datetime):
        dimensions (int):
        embedded (int): Passages with a vector in this index.
        id (UUID):
        job (JobOut | None): The build job (a switch only).
        model (str):
        progress (int): The build's progress; 100 when active.
        status (str): active or building
        total (int): Passages of the workspace.
    """

    activated_at: datetime.datetime | None
    created_at: datetime.datetime
    dimensions: int
    embedded: int
    id: UUID
    job: JobOut | None
    model: str
    progress: int
    status: str
    total: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.job_out import JobOut  # noqa: PLC0415

        activated_at: None | str
        if isinstance(self.activated_at, datetime.datetime):
            activated_at = self.activated_at.isoformat()
        else:
            activated_at = self.activated_at

        created_at = self.created_at.isoformat()

        dimensions = self.dimensions

        embedded = self.embedded

        id = str(self.id)

        job: dict[str, Any] | None
        if isinstance(self.job, JobOut):
            job = self.job.to_dict()
        else:
            job = self.job

        model = self.model

        progress = self.progress

        status = self.status

        total = self.total

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "activated_at": activated_at,
                "created_at": created_at,
                "dimensions": dimensions,
                "embedded": embedded,
                "id": id,
                "job": job,
                "model": model,
                "progress": progress,
                "status": status,
                "total": total,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_out import JobOut  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_activated_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                activated_at_type_0 = datetime.datetime.fromisoformat(data)

                return activated_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        activated_at = _parse_activated_at(d.pop("activated_at"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        dimensions = d.pop("dimensions")

        embedded = d.pop("embedded")

        id = UUID(d.pop("id"))

        def _parse_job(data: object) -> JobOut | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                job_type_0 = JobOut.from_dict(data)

                return job_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobOut | None, data)

        job = _parse_job(d.pop("job"))

        model = d.pop("model")

        progress = d.pop("progress")

        status = d.pop("status")

        total = d.pop("total")

        embedding_index_out = cls(
            activated_at=activated_at,
            created_at=created_at,
            dimensions=dimensions,
            embedded=embedded,
            id=id,
            job=job,
            model=model,
            progress=progress,
            status=status,
            total=total,
        )

        embedding_index_out.additional_properties = d
        return embedding_index_out

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
