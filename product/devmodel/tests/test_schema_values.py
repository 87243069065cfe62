"""The schema-driven value generator: valid for the schema, deterministic, fed by the text."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, Field

from product.devmodel.schema_values import invalid_for, value_for


class Line(BaseModel):
    description: str
    amount: float = Field(ge=0)


class Invoice(BaseModel):
    vendor: str
    date: str = Field(json_schema_extra={"format": "date"})
    total: float
    currency: str = Field(json_schema_extra={"enum": ["EUR", "USD", "GBP"]})
    paid: bool
    lines: list[Line] = Field(min_length=2)
    note: str | None = None


INVOICE_TEXT = "Vendor: Acme Tools Ltd\nDate: 2026-03-14\nTotal: 120.50\nCurrency: GBP\n"


def test_an_invoice_takes_its_values_from_the_text() -> None:
    schema = Invoice.model_json_schema()
    value = value_for(schema, INVOICE_TEXT)
    jsonschema.validate(value, schema)
    assert value["vendor"] == "Acme Tools Ltd"
    assert value["date"] == "2026-03-14"
    assert value["total"] == 120.5
    assert value["currency"] == "GBP"
    assert len(value["lines"]) >= 2 and isinstance(value["paid"], bool)
    # $defs/$ref resolved, anyOf's first (non-null) branch taken.
    assert isinstance(value["lines"][0]["description"], str)
    assert isinstance(value["note"], str)
    Invoice.model_validate(value)


def test_it_is_deterministic_and_depends_on_the_text() -> None:
    schema = Invoice.model_json_schema()
    assert value_for(schema, INVOICE_TEXT) == value_for(schema, INVOICE_TEXT)
    other = value_for(schema, "Vendor: Globex\nno date here")
    assert other["vendor"] == "Globex" and other["date"] == "2026-01-01"


@pytest.mark.parametrize(
    ("schema", "check"),
    [
        ({"type": "integer", "minimum": 500, "maximum": 510}, lambda v: 500 <= v <= 510),
        ({"type": "number", "exclusiveMaximum": 0}, lambda v: v < 0),
        ({"type": "string", "minLength": 40}, lambda v: len(v) >= 40),
        ({"type": "string", "format": "email"}, lambda v: v == "ada@example.org"),
        ({"type": "array", "items": {"type": "boolean"}, "minItems": 3}, lambda v: len(v) >= 3),
        ({"type": ["null", "integer"]}, lambda v: isinstance(v, int)),
        ({"const": "fixed"}, lambda v: v == "fixed"),
        ({"enum": ["red", "blue"]}, lambda v: v == "blue"),
    ],
)
def test_each_keyword_is_honoured(schema: dict[str, Any], check: Any) -> None:
    value = value_for(schema, "Write to ada@example.org about the blue car.")
    jsonschema.validate(value, schema)
    assert check(value)


def test_a_recursive_schema_ends() -> None:
    schema = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "label": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
                "required": ["label"],
            }
        },
        "$ref": "#/$defs/Node",
    }
    value = value_for(schema, "a tree")
    jsonschema.validate(value, schema)


def test_an_invalid_value_misses_a_required_field() -> None:
    schema = Invoice.model_json_schema()
    value = invalid_for(schema, INVOICE_TEXT)
    assert "vendor" not in value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(value, schema)
