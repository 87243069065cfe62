from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.example_out import ExampleOut


T = TypeVar("T", bound="FeedbackOut")


@_attrs_define
class FeedbackOut:
    """
    Attributes:
        comment (str):
        created_at (datetime.datetime):
        example (ExampleOut):
        id (UUID):
        llm_call_id (None | UUID): The ledger call that answered.
        rating (str):
        subject_id (UUID):
        target (str):
        updated_at (datetime.datetime):
    """

    comment: str
    created_at: datetime.datetime
    example: ExampleOut
    id: UUID
    llm_call_id: None | UUID
    rating: str
    subject_id: UUID
    target: str
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        comment = self.comment

        created_at = self.created_at.isoformat()

        example = self.example.to_dict()

        id = str(self.id)

        llm_call_id: None | str
        if isinstance(self.llm_call_id, UUID):
            llm_call_id = str(self.llm_call_id)
        else:
            llm_call_id = self.llm_call_id

        rating = self.rating

        subject_id = str(self.subject_id)

        target = self.target

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "comment": comment,
                "created_at": created_at,
                "example": example,
                "id": id,
                "llm_call_id": llm_call_id,
                "rating": rating,
                "subject_id": subject_id,
                "target": target,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.example_out import ExampleOut  # noqa: PLC0415

        d = dict(src_dict)
        comment = d.pop("comment")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        example = ExampleOut.from_dict(d.pop("example"))

        id = UUID(d.pop("id"))

        def _parse_llm_call_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                llm_call_id_type_0 = UUID(data)

                return llm_call_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        llm_call_id = _parse_llm_call_id(d.pop("llm_call_id"))

        rating = d.pop("rating")

        subject_id = UUID(d.pop("subject_id"))

        target = d.pop("target")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        feedback_out = cls(
            comment=comment,
            created_at=created_at,
            example=example,
            id=id,
            llm_call_id=llm_call_id,
            rating=rating,
            subject_id=subject_id,
            target=target,
            updated_at=updated_at,
        )

        feedback_out.additional_properties = d
        return feedback_out

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
