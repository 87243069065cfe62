"""The typed answers of Ask once's extract tasks: one pydantic model per task.

The job asks the gateway for an instance (product/llm/structured.py), the API returns it as the
question's `fields`, and the page shows it as a table of the fields' titles and values. Field titles
and descriptions go into the JSON Schema the model sees, so say in them what a field holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field

from product.ask.prompts import Task


class ContactDetails(BaseModel):
    model_config = ConfigDict(title="ContactDetails", extra="forbid")

    name: str = Field(title="Name", description="The person's full name.")
    email: str | None = Field(
        default=None, title="Email", description="Their email address, if given."
    )
    phone: str | None = Field(
        default=None, title="Phone", description="Their phone number, if given."
    )
    company: str | None = Field(
        default=None, title="Company", description="The organisation they work for, if given."
    )


class LineItem(BaseModel):
    model_config = ConfigDict(title="LineItem", extra="forbid")

    description: str = Field(title="Description")
    amount: float = Field(title="Amount", description="The line's amount, in the currency.")


class InvoiceFields(BaseModel):
    model_config = ConfigDict(title="InvoiceFields", extra="forbid")

    vendor: str = Field(title="Vendor", description="Who issued the invoice.")
    date: str = Field(
        title="Date",
        description="The invoice date, as YYYY-MM-DD.",
        json_schema_extra={"format": "date"},
    )
    total: float = Field(title="Total", description="The amount due.")
    currency: str = Field(title="Currency", description="The ISO 4217 code, e.g. EUR.")
    line_items: list[LineItem] = Field(title="Line items")


SCHEMAS: dict[str, type[BaseModel]] = {
    Task.EXTRACT_CONTACT: ContactDetails,
    Task.EXTRACT_INVOICE: InvoiceFields,
}


def schema_for(task: str) -> type[BaseModel] | None:
    """The model of an extract task; None for a task that answers in prose."""
    return SCHEMAS.get(task)


@dataclass(frozen=True)
class FieldRow:
    """One row of the page's field table; a list of objects becomes a small table of its own."""

    label: str
    value: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.2f}"
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value) or "—"
    return str(value)


def field_rows(task: str, fields: dict[str, Any]) -> list[FieldRow]:
    """The table of a stored extract: the schema's order and titles, values as text."""
    schema = schema_for(task)
    if schema is None:
        return []
    out: list[FieldRow] = []
    for name, info in schema.model_fields.items():
        value = fields.get(name)
        label = info.title or name
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            # The item model's order, not the stored one: Postgres's jsonb sorts an object's keys.
            item_model = next(iter(get_args(info.annotation)), None)
            if isinstance(item_model, type) and issubclass(item_model, BaseModel):
                columns = list(item_model.model_fields)
            else:
                columns = list(value[0])
            out.append(
                FieldRow(
                    label,
                    columns=[c.replace("_", " ").capitalize() for c in columns],
                    rows=[[_shown(item.get(c)) for c in columns] for item in value],
                )
            )
        else:
            out.append(FieldRow(label, _shown(value)))
    return out


def as_text(task: str, fields: dict[str, Any]) -> str:
    """The extract as plain lines (`Vendor: Acme`), the question's `answer` for lists and exports."""
    lines: list[str] = []
    for row in field_rows(task, fields):
        if row.rows:
            lines.append(f"{row.label}:")
            lines.extend("- " + " · ".join(cells) for cells in row.rows)
        else:
            lines.append(f"{row.label}: {row.value}")
    return "\n".join(lines)
