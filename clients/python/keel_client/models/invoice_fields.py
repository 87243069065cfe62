from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.line_item import LineItem


T = TypeVar("T", bound="InvoiceFields")


@_attrs_define
class InvoiceFields:
    """
    Attributes:
        currency (str): The ISO 4217 code, e.g. EUR.
        date (datetime.date): The invoice date, as YYYY-MM-DD.
        line_items (list[LineItem]):
        total (float): The amount due.
        vendor (str): Who issued the invoice.
    """

    currency: str
    date: datetime.date
    line_items: list[LineItem]
    total: float
    vendor: str

    def to_dict(self) -> dict[str, Any]:
        currency = self.currency

        date = self.date.isoformat()

        line_items = []
        for line_items_item_data in self.line_items:
            line_items_item = line_items_item_data.to_dict()
            line_items.append(line_items_item)

        total = self.total

        vendor = self.vendor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "currency": currency,
                "date": date,
                "line_items": line_items,
                "total": total,
                "vendor": vendor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.line_item import LineItem  # noqa: PLC0415

        d = dict(src_dict)
        currency = d.pop("currency")

        date = datetime.date.fromisoformat(d.pop("date"))

        line_items = []
        _line_items = d.pop("line_items")
        for line_items_item_data in _line_items:
            line_items_item = LineItem.from_dict(line_items_item_data)

            line_items.append(line_items_item)

        total = d.pop("total")

        vendor = d.pop("vendor")

        invoice_fields = cls(
            currency=currency,
            date=date,
            line_items=line_items,
            total=total,
            vendor=vendor,
        )

        return invoice_fields
