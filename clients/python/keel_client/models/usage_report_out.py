from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.usage_report_out_scope import UsageReportOutScope

if TYPE_CHECKING:
    from ..models.budget_out import BudgetOut
    from ..models.usage_numbers_out import UsageNumbersOut
    from ..models.usage_row_out import UsageRowOut


T = TypeVar("T", bound="UsageReportOut")


@_attrs_define
class UsageReportOut:
    """
    Attributes:
        budget (BudgetOut):
        group_by (None | str):
        rows (list[UsageRowOut]):
        scope (UsageReportOutScope): `member`: the key's owner is a member, so only their own calls are counted.
        since (datetime.date):
        totals (UsageNumbersOut):
        until (datetime.date):
    """

    budget: BudgetOut
    group_by: None | str
    rows: list[UsageRowOut]
    scope: UsageReportOutScope
    since: datetime.date
    totals: UsageNumbersOut
    until: datetime.date
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        budget = self.budget.to_dict()

        group_by: None | str
        group_by = self.group_by

        rows = []
        for rows_item_data in self.rows:
            rows_item = rows_item_data.to_dict()
            rows.append(rows_item)

        scope = self.scope.value

        since = self.since.isoformat()

        totals = self.totals.to_dict()

        until = self.until.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "budget": budget,
                "group_by": group_by,
                "rows": rows,
                "scope": scope,
                "since": since,
                "totals": totals,
                "until": until,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.budget_out import BudgetOut  # noqa: PLC0415
        from ..models.usage_numbers_out import UsageNumbersOut  # noqa: PLC0415
        from ..models.usage_row_out import UsageRowOut  # noqa: PLC0415

        d = dict(src_dict)
        budget = BudgetOut.from_dict(d.pop("budget"))

        def _parse_group_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        group_by = _parse_group_by(d.pop("group_by"))

        rows = []
        _rows = d.pop("rows")
        for rows_item_data in _rows:
            rows_item = UsageRowOut.from_dict(rows_item_data)

            rows.append(rows_item)

        scope = UsageReportOutScope(d.pop("scope"))

        since = datetime.date.fromisoformat(d.pop("since"))

        totals = UsageNumbersOut.from_dict(d.pop("totals"))

        until = datetime.date.fromisoformat(d.pop("until"))

        usage_report_out = cls(
            budget=budget,
            group_by=group_by,
            rows=rows,
            scope=scope,
            since=since,
            totals=totals,
            until=until,
        )

        usage_report_out.additional_properties = d
        return usage_report_out

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
