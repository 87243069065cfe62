from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.question_in_task import QuestionInTask
from ..types import UNSET, Unset

T = TypeVar("T", bound="QuestionIn")


@_attrs_define
class QuestionIn:
    """
    Attributes:
        text (str): The text to work on, at most 50000 characters.
        instruction (None | str | Unset):
        task (QuestionInTask | Unset): summarise, key_points, custom (then send `instruction`), or an extract task:
            extract_contact or extract_invoice (the answer's typed `fields`). Default: QuestionInTask.SUMMARISE.
    """

    text: str
    instruction: None | str | Unset = UNSET
    task: QuestionInTask | Unset = QuestionInTask.SUMMARISE
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        text = self.text

        instruction: None | str | Unset
        if isinstance(self.instruction, Unset):
            instruction = UNSET
        else:
            instruction = self.instruction

        task: str | Unset = UNSET
        if not isinstance(self.task, Unset):
            task = self.task.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "text": text,
            }
        )
        if instruction is not UNSET:
            field_dict["instruction"] = instruction
        if task is not UNSET:
            field_dict["task"] = task

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        text = d.pop("text")

        def _parse_instruction(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        instruction = _parse_instruction(d.pop("instruction", UNSET))

        _task = d.pop("task", UNSET)
        task: QuestionInTask | Unset
        if isinstance(_task, Unset):
            task = UNSET
        else:
            task = QuestionInTask(_task)

        question_in = cls(
            text=text,
            instruction=instruction,
            task=task,
        )

        question_in.additional_properties = d
        return question_in

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
