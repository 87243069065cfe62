from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="BudgetOut")


@_attrs_define
class BudgetOut:
    """
    Attributes:
        budget_usd (str):
        daily_rate_usd (str): This month's spend per day so far.
        month (datetime.date): The budget's month (its first day, UTC).
        reached_on (datetime.date | None): The day the budget was used up, if it was.
        remaining_usd (str):
        reserved_usd (str): Held by work that is still running.
        runs_out_on (datetime.date | None): At the daily rate, the day the budget runs out; null if not this month.
        spent_usd (str): The whole workspace's spend this month.
    """

    budget_usd: str
    daily_rate_usd: str
    month: datetime.date
    reached_on: datetime.date | None
    remaining_usd: str
    reserved_usd: str
    runs_out_on: datetime.date | None
    spent_usd: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        budget_usd = self.budget_usd

        daily_rate_usd = self.daily_rate_usd

        month = self.month.isoformat()

        reached_on: None | str
        if isinstance(self.reached_on, datetime.date):
            reached_on = self.reached_on.isoformat()
        else:
            reached_on = self.reached_on

        remaining_usd = self.remaining_usd

        reserved_usd = self.reserved_usd

        runs_out_on: None | str
        if isinstance(self.runs_out_on, datetime.date):
            runs_out_on = self.runs_out_on.isoformat()
        else:
            runs_out_on = self.runs_out_on

        spent_usd = self.spent_usd

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "budget_usd": budget_usd,
                "daily_rate_usd": daily_rate_usd,
                "month": month,
                "reached_on": reached_on,
                "remaining_usd": remaining_usd,
                "reserved_usd": reserved_usd,
                "runs_out_on": runs_out_on,
                "spent_usd": spent_usd,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        budget_usd = d.pop("budget_usd")

        daily_rate_usd = d.pop("daily_rate_usd")

        month = datetime.date.fromisoformat(d.pop("month"))

        def _parse_reached_on(data: object) -> datetime.date | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reached_on_type_0 = datetime.date.fromisoformat(data)

                return reached_on_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None, data)

        reached_on = _parse_reached_on(d.pop("reached_on"))

        remaining_usd = d.pop("remaining_usd")

        reserved_usd = d.pop("reserved_usd")

        def _parse_runs_out_on(data: object) -> datetime.date | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                runs_out_on_type_0 = datetime.date.fromisoformat(data)

                return runs_out_on_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None, data)

        runs_out_on = _parse_runs_out_on(d.pop("runs_out_on"))

        spent_usd = d.pop("spent_usd")

        budget_out = cls(
            budget_usd=budget_usd,
            daily_rate_usd=daily_rate_usd,
            month=month,
            reached_on=reached_on,
            remaining_usd=remaining_usd,
            reserved_usd=reserved_usd,
            runs_out_on=runs_out_on,
            spent_usd=spent_usd,
        )

        budget_out.additional_properties = d
        return budget_out

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
