from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.contact_details import ContactDetails
    from ..models.invoice_fields import InvoiceFields
    from ..models.job_detail_out import JobDetailOut


T = TypeVar("T", bound="QuestionDetailOut")


@_attrs_define
class QuestionDetailOut:
    """
    Attributes:
        answer (str): The model's answer; empty until the job has succeeded.
        created_at (datetime.datetime):
        id (UUID):
        instruction (str):
        job (JobDetailOut):
        task (str):
        text (str):
        fields (ContactDetails | InvoiceFields | None | Unset): An extract task's typed answer once the job has
            succeeded (ContactDetails for extract_contact, InvoiceFields for extract_invoice); null otherwise.
    """

    answer: str
    created_at: datetime.datetime
    id: UUID
    instruction: str
    job: JobDetailOut
    task: str
    text: str
    fields: ContactDetails | InvoiceFields | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.contact_details import ContactDetails  # noqa: PLC0415
        from ..models.invoice_fields import InvoiceFields  # noqa: PLC0415

        answer = self.answer

        created_at = self.created_at.isoformat()

        id = str(self.id)

        instruction = self.instruction

        job = self.job.to_dict()

        task = self.task

        text = self.text

        fields: dict[str, Any] | None | Unset
        if isinstance(self.fields, Unset):
            fields = UNSET
        elif isinstance(self.fields, ContactDetails):
            fields = self.fields.to_dict()
        elif isinstance(self.fields, InvoiceFields):
            fields = self.fields.to_dict()
        else:
            fields = self.fields

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "answer": answer,
                "created_at": created_at,
                "id": id,
                "instruction": instruction,
                "job": job,
                "task": task,
                "text": text,
            }
        )
        if fields is not UNSET:
            field_dict["fields"] = fields

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.contact_details import ContactDetails  # noqa: PLC0415
        from ..models.invoice_fields import InvoiceFields  # noqa: PLC0415
        from ..models.job_detail_out import JobDetailOut  # noqa: PLC0415

        d = dict(src_dict)
        answer = d.pop("answer")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        instruction = d.pop("instruction")

        job = JobDetailOut.from_dict(d.pop("job"))

        task = d.pop("task")

        text = d.pop("text")

        def _parse_fields(data: object) -> ContactDetails | InvoiceFields | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                fields_type_0 = ContactDetails.from_dict(data)

                return fields_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                fields_type_1 = InvoiceFields.from_dict(data)

                return fields_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ContactDetails | InvoiceFields | None | Unset, data)

        fields = _parse_fields(d.pop("fields", UNSET))

        question_detail_out = cls(
            answer=answer,
            created_at=created_at,
            id=id,
            instruction=instruction,
            job=job,
            task=task,
            text=text,
            fields=fields,
        )

        question_detail_out.additional_properties = d
        return question_detail_out

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
