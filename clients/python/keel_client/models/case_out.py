from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.case_out_details import CaseOutDetails
    from ..models.score_out import ScoreOut


T = TypeVar("T", bound="CaseOut")


@_attrs_define
class CaseOut:
    """
    Attributes:
        call_ids (list[str]): Every ledger row of the case.
        cost_usd (None | str): Target and graders; null: a price is unknown.
        details (CaseOutDetails): Citations, retrieved documents, context.
        error_code (str):
        error_message (str):
        id (int):
        input_tokens (int):
        item_key (UUID):
        latency_ms (int | None):
        output (str):
        output_tokens (int):
        repeat (int):
        scores (list[ScoreOut]):
        status (str): done, or failed (the target failed).
    """

    call_ids: list[str]
    cost_usd: None | str
    details: CaseOutDetails
    error_code: str
    error_message: str
    id: int
    input_tokens: int
    item_key: UUID
    latency_ms: int | None
    output: str
    output_tokens: int
    repeat: int
    scores: list[ScoreOut]
    status: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        call_ids = self.call_ids

        cost_usd: None | str
        cost_usd = self.cost_usd

        details = self.details.to_dict()

        error_code = self.error_code

        error_message = self.error_message

        id = self.id

        input_tokens = self.input_tokens

        item_key = str(self.item_key)

        latency_ms: int | None
        latency_ms = self.latency_ms

        output = self.output

        output_tokens = self.output_tokens

        repeat = self.repeat

        scores = []
        for scores_item_data in self.scores:
            scores_item = scores_item_data.to_dict()
            scores.append(scores_item)

        status = self.status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "call_ids": call_ids,
                "cost_usd": cost_usd,
                "details": details,
                "error_code": error_code,
                "error_message": error_message,
                "id": id,
                "input_tokens": input_tokens,
                "item_key": item_key,
                "latency_ms": latency_ms,
                "output": output,
                "output_tokens": output_tokens,
                "repeat": repeat,
                "scores": scores,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.case_out_details import CaseOutDetails  # noqa: PLC0415
        from ..models.score_out import ScoreOut  # noqa: PLC0415

        d = dict(src_dict)
        call_ids = cast(list[str], d.pop("call_ids"))

        def _parse_cost_usd(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        cost_usd = _parse_cost_usd(d.pop("cost_usd"))

        details = CaseOutDetails.from_dict(d.pop("details"))

        error_code = d.pop("error_code")

        error_message = d.pop("error_message")

        id = d.pop("id")

        input_tokens = d.pop("input_tokens")

        item_key = UUID(d.pop("item_key"))

        def _parse_latency_ms(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        latency_ms = _parse_latency_ms(d.pop("latency_ms"))

        output = d.pop("output")

        output_tokens = d.pop("output_tokens")

        repeat = d.pop("repeat")

        scores = []
        _scores = d.pop("scores")
        for scores_item_data in _scores:
            scores_item = ScoreOut.from_dict(scores_item_data)

            scores.append(scores_item)

        status = d.pop("status")

        case_out = cls(
            call_ids=call_ids,
            cost_usd=cost_usd,
            details=details,
            error_code=error_code,
            error_message=error_message,
            id=id,
            input_tokens=input_tokens,
            item_key=item_key,
            latency_ms=latency_ms,
            output=output,
            output_tokens=output_tokens,
            repeat=repeat,
            scores=scores,
            status=status,
        )

        case_out.additional_properties = d
        return case_out

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
