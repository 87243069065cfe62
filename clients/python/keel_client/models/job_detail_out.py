from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.job_detail_out_input import JobDetailOutInput
    from ..models.job_detail_out_result_type_0 import JobDetailOutResultType0
    from ..models.usage_out import UsageOut


T = TypeVar("T", bound="JobDetailOut")


@_attrs_define
class JobDetailOut:
    """
    Attributes:
        attempts (int):
        cancel_requested (bool):
        created_at (datetime.datetime):
        error_code (str):
        error_message (str): Readable by a person; empty unless failed.
        finished_at (datetime.datetime | None):
        id (UUID):
        input_ (JobDetailOutInput):
        kind (str):
        max_attempts (int):
        progress (int):
        result (JobDetailOutResultType0 | None): Set when the job succeeded.
        retry_at (datetime.datetime | None): A queued job waits for the provider until then.
        started_at (datetime.datetime | None):
        status (str): queued, running, succeeded, failed or cancelled
        usage (UsageOut):
    """

    attempts: int
    cancel_requested: bool
    created_at: datetime.datetime
    error_code: str
    error_message: str
    finished_at: datetime.datetime | None
    id: UUID
    input_: JobDetailOutInput
    kind: str
    max_attempts: int
    progress: int
    result: JobDetailOutResultType0 | None
    retry_at: datetime.datetime | None
    started_at: datetime.datetime | None
    status: str
    usage: UsageOut
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.job_detail_out_result_type_0 import JobDetailOutResultType0  # noqa: PLC0415

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
        if isinstance(self.result, JobDetailOutResultType0):
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

        usage = self.usage.to_dict()

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
                "usage": usage,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_detail_out_input import JobDetailOutInput  # noqa: PLC0415
        from ..models.job_detail_out_result_type_0 import JobDetailOutResultType0  # noqa: PLC0415
        from ..models.usage_out import UsageOut  # noqa: PLC0415

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

        input_ = JobDetailOutInput.from_dict(d.pop("input"))

        kind = d.pop("kind")

        max_attempts = d.pop("max_attempts")

        progress = d.pop("progress")

        def _parse_result(data: object) -> JobDetailOutResultType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_0 = JobDetailOutResultType0.from_dict(data)

                return result_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobDetailOutResultType0 | None, data)

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

        usage = UsageOut.from_dict(d.pop("usage"))

        job_detail_out = cls(
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
            usage=usage,
        )

        job_detail_out.additional_properties = d
        return job_detail_out

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
