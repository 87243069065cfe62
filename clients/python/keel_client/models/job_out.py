from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.job_out_input import JobOutInput
    from ..models.job_out_result_type_0 import JobOutResultType0


T = TypeVar("T", bound="JobOut")


@_attrs_define
class JobOut:
    """
    Attributes:
        attempts (int):
        cancel_requested (bool):
        created_at (datetime.datetime):
        error_code (str):
        error_message (str): Readable by a person; empty unless failed.
        finished_at (datetime.datetime | None):
        id (UUID):
        input_ (JobOutInput):
        kind (str):
        max_attempts (int):
        progress (int):
        result (JobOutResultType0 | None): Set when the job succeeded.
        retry_at (datetime.datetime | None): A queued job waits for the provider until then.
        started_at (datetime.datetime | None):
        status (str): queued, running, succeeded, failed or cancelled
    """

    attempts: int
    cancel_requested: bool
    created_at: datetime.datetime
    error_code: str
    error_message: str
    finished_at: datetime.datetime | None
    id: UUID
    input_: JobOutInput
    kind: str
    max_attempts: int
    progress: int
    result: JobOutResultType0 | None
    retry_at: datetime.datetime | None
    started_at: datetime.datetime | None
    status: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.job_out_result_type_0 import JobOutResultType0  # noqa: PLC0415

        attempts = self.attempts

        cancel_requested = self.cancel_requested

        created_at = self.created_at.isoformat()

        error_code = self.error_code

        error_message = self.error_message

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        id = str(self.id)

        input_ = self.input_.to_dict()

        kind = self.kind

        max_attempts = self.max_attempts

        progress = self.progress

        result: dict[str, Any] | None
        if isinstance(self.result, JobOutResultType0):
            result = self.result.to_dict()
        else:
            result = self.result

        retry_at: None | str
        if isinstance(self.retry_at, datetime.datetime):
            retry_at = self.retry_at.isoformat()
        else:
            retry_at = self.retry_at

        started_at: None | str
        if isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        status = self.status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "cancel_requested": cancel_requested,
                "created_at": created_at,
                "error_code": error_code,
                "error_message": error_message,
                "finished_at": finished_at,
                "id": id,
                "input": input_,
                "kind": kind,
                "max_attempts": max_attempts,
                "progress": progress,
                "result": result,
                "retry_at": retry_at,
                "started_at": started_at,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_out_input import JobOutInput  # noqa: PLC0415
        from ..models.job_out_result_type_0 import JobOutResultType0  # noqa: PLC0415

        d = dict(src_dict)
        attempts = d.pop("attempts")

        cancel_requested = d.pop("cancel_requested")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        error_code = d.pop("error_code")

        error_message = d.pop("error_message")

        def _parse_finished_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        finished_at = _parse_finished_at(d.pop("finished_at"))

        id = UUID(d.pop("id"))

        input_ = JobOutInput.from_dict(d.pop("input"))

        kind = d.pop("kind")

        max_attempts = d.pop("max_attempts")

        progress = d.pop("progress")

        def _parse_result(data: object) -> JobOutResultType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_0 = JobOutResultType0.from_dict(data)

                return result_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobOutResultType0 | None, data)

        result = _parse_result(d.pop("result"))

        def _parse_retry_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                retry_at_type_0 = datetime.datetime.fromisoformat(data)

                return retry_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        retry_at = _parse_retry_at(d.pop("retry_at"))

        def _parse_started_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        started_at = _parse_started_at(d.pop("started_at"))

        status = d.pop("status")

        job_out = cls(
            attempts=attempts,
            cancel_requested=cancel_requested,
            created_at=created_at,
            error_code=error_code,
            error_message=error_message,
            finished_at=finished_at,
            id=id,
            input_=input_,
            kind=kind,
            max_attempts=max_attempts,
            progress=progress,
            result=result,
            retry_at=retry_at,
            started_at=started_at,
            status=status,
        )

        job_out.additional_properties = d
        return job_out

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
