from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.feedback_in_rating import FeedbackInRating
from ..types import UNSET, Unset

T = TypeVar("T", bound="FeedbackIn")


@_attrs_define
class FeedbackIn:
    """
    Attributes:
        rating (FeedbackInRating):
        subject_id (UUID): The id of the rated answer in its feature.
        target (str): The rated feature: `chat.reply` (a reply's message id) or `ask.once` (a question's id).
        comment (str | Unset):  Default: ''.
    """

    rating: FeedbackInRating
    subject_id: UUID
    target: str
    comment: str | Unset = ""
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        rating = self.rating.value

        subject_id = str(self.subject_id)

        target = self.target

        comment = self.comment

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "rating": rating,
                "subject_id": subject_id,
                "target": target,
            }
        )
        if comment is not UNSET:
            field_dict["comment"] = comment

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        rating = FeedbackInRating(d.pop("rating"))

        subject_id = UUID(d.pop("subject_id"))

        target = d.pop("target")

        comment = d.pop("comment", UNSET)

        feedback_in = cls(
            rating=rating,
            subject_id=subject_id,
            target=target,
            comment=comment,
        )

        feedback_in.additional_properties = d
        return feedback_in

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
