from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.ask_once_input import AskOnceInput


T = TypeVar("T", bound="JobIn")


@_attrs_define
class JobIn:
    """
    Attributes:
        input_ (AskOnceInput):
        kind (Literal['ask.once']): The job kind; the API accepts `ask.once`.
    """

    input_: AskOnceInput
    kind: Literal["ask.once"]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        input_ = self.input_.to_dict()

        kind = self.kind

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "input": input_,
                "kind": kind,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.ask_once_input import AskOnceInput  # noqa: PLC0415

        d = dict(src_dict)
        input_ = AskOnceInput.from_dict(d.pop("input"))

        kind = cast(Literal["ask.once"], d.pop("kind"))
        if kind != "ask.once":
            raise ValueError(f"kind must match const 'ask.once', got '{kind}'")

        job_in = cls(
            input_=input_,
            kind=kind,
        )

        job_in.additional_properties = d
        return job_in

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
