from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.tool_step_out_arguments_type_0 import ToolStepOutArgumentsType0


T = TypeVar("T", bound="ToolStepOut")


@_attrs_define
class ToolStepOut:
    """One tool call of a reply (or the line that says the step limit stopped it).

    Attributes:
        id (str): The call's id; `limit` for the step-limit line.
        status (str): running, ok, error or limit
        step (int): Which model step asked for it, from 1.
        arguments (None | str | ToolStepOutArgumentsType0 | Unset): The arguments the model sent (the raw text when they
            were not JSON).
        display (str | Unset):  Default: ''.
        elapsed_ms (int | None | Unset):
        error (str | Unset):  Default: ''.
        kind (str | Unset): `call`: a tool call; `limit`: the step limit stopped the reply's tools. Default: 'call'.
        label (str | Unset): What a person reads. Default: ''.
        name (str | Unset):  Default: ''.
        result (str | Unset): What the model read back (cut at 2,000 characters). Default: ''.
    """

    id: str
    status: str
    step: int
    arguments: None | str | ToolStepOutArgumentsType0 | Unset = UNSET
    display: str | Unset = ""
    elapsed_ms: int | None | Unset = UNSET
    error: str | Unset = ""
    kind: str | Unset = "call"
    label: str | Unset = ""
    name: str | Unset = ""
    result: str | Unset = ""
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.tool_step_out_arguments_type_0 import ToolStepOutArgumentsType0  # noqa: PLC0415

        id = self.id

        status = self.status

        step = self.step

        arguments: dict[str, Any] | None | str | Unset
        if isinstance(self.arguments, Unset):
            arguments = UNSET
        elif isinstance(self.arguments, ToolStepOutArgumentsType0):
            arguments = self.arguments.to_dict()
        else:
            arguments = self.arguments

        display = self.display

        elapsed_ms: int | None | Unset
        if isinstance(self.elapsed_ms, Unset):
            elapsed_ms = UNSET
        else:
            elapsed_ms = self.elapsed_ms

        error = self.error

        kind = self.kind

        label = self.label

        name = self.name

        result = self.result

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "status": status,
                "step": step,
            }
        )
        if arguments is not UNSET:
            field_dict["arguments"] = arguments
        if display is not UNSET:
            field_dict["display"] = display
        if elapsed_ms is not UNSET:
            field_dict["elapsed_ms"] = elapsed_ms
        if error is not UNSET:
            field_dict["error"] = error
        if kind is not UNSET:
            field_dict["kind"] = kind
        if label is not UNSET:
            field_dict["label"] = label
        if name is not UNSET:
            field_dict["name"] = name
        if result is not UNSET:
            field_dict["result"] = result

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tool_step_out_arguments_type_0 import ToolStepOutArgumentsType0  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        status = d.pop("status")

        step = d.pop("step")

        def _parse_arguments(data: object) -> None | str | ToolStepOutArgumentsType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                arguments_type_0 = ToolStepOutArgumentsType0.from_dict(data)

                return arguments_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | str | ToolStepOutArgumentsType0 | Unset, data)

        arguments = _parse_arguments(d.pop("arguments", UNSET))

        display = d.pop("display", UNSET)

        def _parse_elapsed_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        elapsed_ms = _parse_elapsed_ms(d.pop("elapsed_ms", UNSET))

        error = d.pop("error", UNSET)

        kind = d.pop("kind", UNSET)

        label = d.pop("label", UNSET)

        name = d.pop("name", UNSET)

        result = d.pop("result", UNSET)

        tool_step_out = cls(
            id=id,
            status=status,
            step=step,
            arguments=arguments,
            display=display,
            elapsed_ms=elapsed_ms,
            error=error,
            kind=kind,
            label=label,
            name=name,
            result=result,
        )

        tool_step_out.additional_properties = d
        return tool_step_out

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
