from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.example_out_input import ExampleOutInput


T = TypeVar("T", bound="ExampleOut")


@_attrs_define
class ExampleOut:
    """
    Attributes:
        input_ (ExampleOutInput): The target's input (what was asked).
        llm_call_id (None | str):
        model (str):
        output (str): The answer as it was rated.
        prompt_name (str):
        prompt_version (str):
        sources (list[str]): Documents the answer cited (grounded replies).
        url (str): The page that shows the answer.
    """

    input_: ExampleOutInput
    llm_call_id: None | str
    model: str
    output: str
    prompt_name: str
    prompt_version: str
    sources: list[str]
    url: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        input_ = self.input_.to_dict()

        llm_call_id: None | str
        llm_call_id = self.llm_call_id

        model = self.model

        output = self.output

        prompt_name = self.prompt_name

        prompt_version = self.prompt_version

        sources = self.sources

        url = self.url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "input": input_,
                "llm_call_id": llm_call_id,
                "model": model,
                "output": output,
                "prompt_name": prompt_name,
                "prompt_version": prompt_version,
                "sources": sources,
                "url": url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.example_out_input import ExampleOutInput  # noqa: PLC0415

        d = dict(src_dict)
        input_ = ExampleOutInput.from_dict(d.pop("input"))

        def _parse_llm_call_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        llm_call_id = _parse_llm_call_id(d.pop("llm_call_id"))

        model = d.pop("model")

        output = d.pop("output")

        prompt_name = d.pop("prompt_name")

        prompt_version = d.pop("prompt_version")

        sources = cast(list[str], d.pop("sources"))

        url = d.pop("url")

        example_out = cls(
            input_=input_,
            llm_call_id=llm_call_id,
            model=model,
            output=output,
            prompt_name=prompt_name,
            prompt_version=prompt_version,
            sources=sources,
            url=url,
        )

        example_out.additional_properties = d
        return example_out

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
