"""JSONL and CSV rows: every problem reported with its row and field, keys derived stably, and
export → parse giving the same items back."""

from __future__ import annotations

import json
import uuid

import pytest

from product.evals import io
from product.evals.errors import ImportRejected
from product.evals.tests.targets_for_tests import QAInput


def parse(content: str, fmt: io.Format = "jsonl") -> list[io.ItemData]:
    return io.parse_items(content, fmt=fmt, input_model=QAInput)


def rejected(content: str, fmt: io.Format = "jsonl") -> list[dict[str, object]]:
    with pytest.raises(ImportRejected) as caught:
        parse(content, fmt)
    assert caught.value.status == 422
    assert caught.value.code == "import_rejected"
    details: list[dict[str, object]] = caught.value.details
    return details


def test_it_reads_jsonl_rows_with_every_field() -> None:
    key = uuid.uuid4()
    items = parse(
        json.dumps(
            {
                "key": str(key),
                "input": {"question": "When?", "limit": 3},
                "reference": "April 3",
                "expected_sources": ["handbook.pdf"],
                "tags": ["dates"],
                "metadata": {"source": "support"},
            }
        )
        + "\n\n"
        + json.dumps({"input": {"question": "Who?"}})
        + "\n"
    )
    assert [item.input for item in items] == [
        {"question": "When?", "limit": 3},
        {"question": "Who?"},
    ]
    first, second = items
    assert first.key == key
    assert (first.reference, first.expected_sources, first.tags) == (
        "April 3",
        ["handbook.pdf"],
        ["dates"],
    )
    assert first.metadata == {"source": "support"}
    assert isinstance(second.key, uuid.UUID) and second.key != key
    assert (second.reference, second.tags, second.metadata) == ("", [], {})


def test_it_derives_a_stable_key_from_a_name_and_keeps_the_name() -> None:
    (item,) = parse('{"key": "refund-policy", "input": {"question": "Refunds?"}}')
    assert (
        item.key
        == io.item_key("refund-policy")
        == uuid.uuid5(io.EVAL_KEY_NAMESPACE, "refund-policy")
    )
    assert item.metadata == {"name": "refund-policy"}
    (named,) = parse('{"key": "x", "input": {"question": "Q"}, "metadata": {"name": "Mine"}}')
    assert named.metadata == {"name": "Mine"}


def test_item_key_keeps_a_uuid_as_it_is() -> None:
    key = uuid.uuid4()
    assert io.item_key(str(key)) == key
    assert io.item_key("not a uuid") != io.item_key("not a uuid ")


def test_it_reports_every_bad_jsonl_row_with_its_line_and_field() -> None:
    lines = [
        '{"input": {"question": "fine"}}',
        '{"input": {"question": "broken"',
        '["not", "an", "object"]',
        '{"input": {"question": ""}}',
        '{"input": {"question": "Q", "colour": "red"}}',
        '{"input": {"question": "Q"}, "tags": "one", "reference": 3, "metadata": [1]}',
        '{"reference": "no input"}',
        '{"input": {"question": "Q", "limit": "many"}, "expected_sources": [1, 2]}',
        '{"input": {"question": "Q"}, "extra": 1}',
    ]
    details = rejected("\n".join(lines))
    by_row: dict[object, set[object]] = {}
    for detail in details:
        by_row.setdefault(detail["row"], set()).add(detail["field"])
        assert isinstance(detail["message"], str) and detail["message"]
    assert 1 not in by_row
    assert by_row[2] == {""}
    assert by_row[3] == {""}
    assert by_row[4] == {"input.question"}
    assert by_row[5] == {"input.colour"}
    assert by_row[6] == {"tags", "reference", "metadata"}
    assert by_row[7] == {"input"}
    assert by_row[8] == {"input.limit", "expected_sources"}
    assert by_row[9] == {"extra"}
    assert any("Not valid JSON" in str(d["message"]) for d in details if d["row"] == 2)


def test_it_refuses_duplicate_keys_naming_the_first_row() -> None:
    details = rejected(
        '{"key": "a", "input": {"question": "Q"}}\n{"key": "a", "input": {"question": "R"}}'
    )
    assert details == [
        {"row": 2, "field": "key", "message": "The same key as row 1: keys are unique."}
    ]


def test_it_refuses_an_empty_file_and_text_that_is_not_utf8() -> None:
    with pytest.raises(ImportRejected) as empty:
        parse("\n\n")
    assert empty.value.code == "empty_import"
    with pytest.raises(ImportRejected) as binary:
        io.parse_items(b"\xff\xfe\x00garbage", fmt="jsonl", input_model=QAInput)
    assert binary.value.code == "not_utf8"
    assert "UTF-8" in binary.value.message


def test_it_reads_csv_with_json_cells_and_semicolon_lists() -> None:
    content = (
        "key,input,reference,expected_sources,tags,metadata\n"
        'k1,"{""question"": ""When, exactly?""}",April 3,handbook.pdf; faq.md,a;b,\n'
        ',"{""question"": ""Who?""}",,"[""x;y""]",,"{""n"": 1}"\n'
    )
    first, second = parse(content, "csv")
    assert first.key == io.item_key("k1")
    assert first.input == {"question": "When, exactly?"}
    assert first.expected_sources == ["handbook.pdf", "faq.md"]
    assert first.tags == ["a", "b"]
    assert second.expected_sources == ["x;y"]
    assert second.metadata == {"n": 1}


def test_it_reads_a_csv_with_only_the_input_column() -> None:
    (item,) = parse('input\n"{""question"": ""Q""}"\n', "csv")
    assert item.input == {"question": "Q"}


def test_it_reports_bad_csv_rows_numbered_like_a_spreadsheet() -> None:
    content = (
        "input,reference\n"
        '"{""question"": ""fine""}",ok\n'
        "{not json},x\n"
        '"{""question"": 5}",x\n'
        "only one cell\n"
    )
    details = rejected(content, "csv")
    assert [(d["row"], d["field"]) for d in details] == [
        (3, "input"),
        (4, "input.question"),
        (5, ""),
    ]


def test_it_refuses_a_csv_without_an_input_column_or_with_unknown_columns() -> None:
    details = rejected("question,answer\nQ,A\n", "csv")
    assert {(d["row"], d["field"]) for d in details} == {
        (1, "question"),
        (1, "answer"),
        (1, "input"),
    }


@pytest.mark.parametrize("fmt", io.FORMATS)
def test_export_then_parse_gives_the_same_items(fmt: io.Format) -> None:
    rows = [
        io.ItemData(
            key=uuid.uuid4(),
            input={"question": 'Quotes " and, commas\nand lines', "limit": 2},
            reference="Ünïcode; semi",
            expected_sources=["a;b.pdf", "c.md"],
            tags=["x"],
            metadata={"name": "first", "nested": {"k": [1, 2]}},
        ),
        io.ItemData(key=uuid.uuid4(), input={"question": "Plain"}),
    ]
    text = io.export_rows([row.as_row() for row in rows], fmt=fmt)
    again = io.parse_items(text, fmt=fmt, input_model=QAInput)
    assert [item.as_row() for item in again] == [row.as_row() for row in rows]
    assert io.export_rows([item.as_row() for item in again], fmt=fmt) == text


def test_format_for_reads_the_extension_or_the_given_format() -> None:
    assert io.format_for("cases.jsonl") == "jsonl"
    assert io.format_for("cases.CSV") == "csv"
    assert io.format_for("cases.txt", "csv") == "csv"
    with pytest.raises(ImportRejected):
        io.format_for("cases.txt")
