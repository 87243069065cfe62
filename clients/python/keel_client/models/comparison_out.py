from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.comparison_out_cases_item import ComparisonOutCasesItem
    from ..models.comparison_out_deltas_item import ComparisonOutDeltasItem
    from ..models.comparison_out_summaries_item import ComparisonOutSummariesItem
    from ..models.run_out import RunOut


T = TypeVar("T", bound="ComparisonOut")


@_attrs_define
class ComparisonOut:
    """
    Attributes:
        cases (list[ComparisonOutCasesItem]): Per item key, regressions first: each run's output, word diff against the
            baseline (escaped HTML), values and deltas per grader.
        deltas (list[ComparisonOutDeltasItem]): Per grader and candidate: the paired bootstrap of the change over items
            both scored (`delta`, `low`, `high`, `n`), and whether it confidently regressed.
        graders (list[str]): The baseline's graders another run has too.
        runs (list[RunOut]): The baseline first.
        summaries (list[ComparisonOutSummariesItem]):
    """

    cases: list[ComparisonOutCasesItem]
    deltas: list[ComparisonOutDeltasItem]
    graders: list[str]
    runs: list[RunOut]
    summaries: list[ComparisonOutSummariesItem]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cases = []
        for cases_item_data in self.cases:
            cases_item = cases_item_data.to_dict()
            cases.append(cases_item)

        deltas = []
        for deltas_item_data in self.deltas:
            deltas_item = deltas_item_data.to_dict()
            deltas.append(deltas_item)

        graders = self.graders

        runs = []
        for runs_item_data in self.runs:
            runs_item = runs_item_data.to_dict()
            runs.append(runs_item)

        summaries = []
        for summaries_item_data in self.summaries:
            summaries_item = summaries_item_data.to_dict()
            summaries.append(summaries_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cases": cases,
                "deltas": deltas,
                "graders": graders,
                "runs": runs,
                "summaries": summaries,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.comparison_out_cases_item import ComparisonOutCasesItem  # noqa: PLC0415
        from ..models.comparison_out_deltas_item import ComparisonOutDeltasItem  # noqa: PLC0415
        from ..models.comparison_out_summaries_item import ComparisonOutSummariesItem  # noqa: PLC0415
        from ..models.run_out import RunOut  # noqa: PLC0415

        d = dict(src_dict)
        cases = []
        _cases = d.pop("cases")
        for cases_item_data in _cases:
            cases_item = ComparisonOutCasesItem.from_dict(cases_item_data)

            cases.append(cases_item)

        deltas = []
        _deltas = d.pop("deltas")
        for deltas_item_data in _deltas:
            deltas_item = ComparisonOutDeltasItem.from_dict(deltas_item_data)

            deltas.append(deltas_item)

        graders = cast(list[str], d.pop("graders"))

        runs = []
        _runs = d.pop("runs")
        for runs_item_data in _runs:
            runs_item = RunOut.from_dict(runs_item_data)

            runs.append(runs_item)

        summaries = []
        _summaries = d.pop("summaries")
        for summaries_item_data in _summaries:
            summaries_item = ComparisonOutSummariesItem.from_dict(summaries_item_data)

            summaries.append(summaries_item)

        comparison_out = cls(
            cases=cases,
            deltas=deltas,
            graders=graders,
            runs=runs,
            summaries=summaries,
        )

        comparison_out.additional_properties = d
        return comparison_out

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
