"""Dataset items in and out of files: JSONL and CSV, one row per item, the same columns in both.

A row is `{"key"?: str, "input": {...}, "reference"?: str, "expected_sources"?: [str],
"tags"?: [str], "metadata"?: {}}`. In CSV, `input` and `metadata` are JSON text and
`expected_sources`/`tags` are JSON arrays or `;`-separated words; an empty cell is the default.

Parsing validates every row before anything is stored and reports every problem with its row
(the line of a JSONL file, the record of a CSV file with the header as row 1, so the numbers
match a spreadsheet's), so a person fixes the file once instead of once per error. Export writes
the same format back, so export → import gives the same items with the same keys.

Keys: a UUID is kept as is; any other string names the item and becomes
`uuid5(EVAL_KEY_NAMESPACE, string)`, so a suite file committed with readable keys maps to the same
item keys in every fresh database (the CI gate's baseline pairs cases by them).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from product.core.text import NUL
from product.evals.errors import ImportRejected

Format = Literal["jsonl", "csv"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv")
# Never change it: committed suites' keys are derived from it.
EVAL_KEY_NAMESPACE = uuid.UUID("5f0b6a8e-3c1d-4f7a-9b2e-6d4c8a1e0f37")
COLUMNS = ("key", "input", "reference", "expected_sources", "tags", "metadata")
MAX_IMPORT_ROWS = 10_000
MAX_KEY_CHARS = 200
# A file with hundreds of broken rows says what is wrong with the first ones and how many more.
MAX_REPORTED_ERRORS = 100


def item_key(name: str) -> uuid.UUID:
    """The item key of a row's `key`: a UUID as is, any other string derived from it."""
    try:
        return uuid.UUID(name)
    except ValueError:
        return uuid.uuid5(EVAL_KEY_NAMESPACE, name)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def format_for(filename: str, given: str = "") -> Format:
    """The format named by `given` (a form or API field), else by the file's extension."""
    chosen = (given or "").strip().lower()
    if not chosen:
        chosen = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if chosen in ("ndjson", "json"):
            chosen = "jsonl"
    if chosen not in FORMATS:
        raise ImportRejected(
            "Say which format the file is in: name it .jsonl or .csv, or choose the format.",
            code="unknown_format",
            details=[{"row": 0, "field": "format", "message": "Use jsonl or csv."}],
        )
    return chosen  # type: ignore[return-value]


@dataclass
class ItemData:
    """One item as the services store it (a row of a file, a form, the API)."""

    key: uuid.UUID
    input: dict[str, Any]
    reference: str = ""
    expected_sources: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    source_call_id: uuid.UUID | None = None

    def as_row(self) -> dict[str, Any]:
        return {
            "key": str(self.key),
            "input": self.input,
            "reference": self.reference,
            "expected_sources": self.expected_sources,
            "tags": self.tags,
            "metadata": self.metadata,
        }


class RowErrors:
    """The problems found so far, each with its row and field."""

    def __init__(self) -> None:
        self.details: list[dict[str, Any]] = []
        self.count = 0

    def add(self, row: int, field_name: str, message: str) -> None:
        self.count += 1
        if len(self.details) < MAX_REPORTED_ERRORS:
            self.details.append({"row": row, "field": field_name, "message": message})

    def raise_if_any(self) -> None:
        if not self.count:
            return
        rows = len({d["row"] for d in self.details})
        more = self.count - len(self.details)
        message = (
            f"Nothing was imported: {self.count} problem{'s' if self.count != 1 else ''} in "
            f"{rows}{'+' if more else ''} row{'s' if rows != 1 else ''}. Fix them and import again."
        )
        if more:
            message += f" (The first {len(self.details)} are listed.)"
        raise ImportRejected(message, details=self.details)


def _input_errors(exc: ValidationError) -> Iterator[tuple[str, str]]:
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        yield (f"input.{where}" if where else "input"), str(error.get("msg", "is not valid"))


def _string_list(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def validate_row(
    data: dict[str, Any], *, row: int, input_model: type[BaseModel], errors: RowErrors
) -> ItemData | None:
    """One row's values (already decoded) as an item, or None with its problems in `errors`."""
    before = errors.count
    unknown = sorted(set(data) - set(COLUMNS))
    for name in unknown:
        errors.add(row, name, f"Unknown field {name!r}; the fields are {', '.join(COLUMNS)}.")
    if _has_nul(data):
        errors.add(row, "", "Remove the NUL character (U+0000): text cannot contain it.")

    raw_key = data.get("key")
    key: uuid.UUID | None = None
    metadata_value = data.get("metadata")
    metadata: dict[str, Any] = {}
    if metadata_value is None or metadata_value == "":
        metadata = {}
    elif isinstance(metadata_value, dict):
        metadata = dict(metadata_value)
    else:
        errors.add(row, "metadata", 'Must be a JSON object, like {"source": "support"}.')
    if raw_key is None or raw_key == "":
        key = uuid.uuid4()
    elif not isinstance(raw_key, str):
        errors.add(row, "key", "Must be a string (a UUID, or a name for the item).")
    elif len(raw_key) > MAX_KEY_CHARS:
        errors.add(row, "key", f"Must be at most {MAX_KEY_CHARS} characters long.")
    else:
        key = item_key(raw_key)
        if not _is_uuid(raw_key):
            # A readable name: keep it, so people and reports can say which case this is.
            metadata.setdefault("name", raw_key)

    validated: dict[str, Any] | None = None
    value = data.get("input")
    if value is None:
        errors.add(row, "input", "Required: the target's input, as a JSON object.")
    elif not isinstance(value, dict):
        errors.add(row, "input", "Must be a JSON object (the target's input).")
    else:
        try:
            model = input_model.model_validate(value)
        except ValidationError as exc:
            for where, message in _input_errors(exc):
                errors.add(row, where, message)
        else:
            validated = model.model_dump(mode="json", exclude_unset=True)

    reference = data.get("reference")
    if reference is None:
        reference = ""
    elif not isinstance(reference, str):
        errors.add(row, "reference", "Must be a string (the expected output).")

    lists: dict[str, list[str]] = {}
    for name in ("expected_sources", "tags"):
        given = data.get(name)
        if given is None or given == "":
            lists[name] = []
            continue
        parsed = _string_list(given)
        if parsed is None:
            errors.add(row, name, 'Must be a list of strings, like ["handbook.pdf"].')
        else:
            lists[name] = parsed

    if errors.count > before or validated is None or key is None:
        return None
    return ItemData(
        key=key,
        input=validated,
        reference=str(reference),
        expected_sources=lists["expected_sources"],
        tags=lists["tags"],
        metadata=metadata,
    )


def _decode(content: bytes | str) -> str:
    if isinstance(content, str):
        return content
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            "The file is not UTF-8 text. Save it as UTF-8 (CSV UTF-8 in a spreadsheet) and "
            "import it again.",
            code="not_utf8",
            details=[{"row": 0, "field": "", "message": f"Byte {exc.start} is not UTF-8."}],
        ) from exc


def _jsonl_rows(text: str, errors: RowErrors) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.add(number, "", f"Not valid JSON: {exc.msg} at column {exc.colno}.")
            continue
        if not isinstance(data, dict):
            errors.add(number, "", 'Each line must be one JSON object, like {"input": {...}}.')
            continue
        yield number, data


def _csv_list(cell: str) -> Any:
    cell = cell.strip()
    if not cell:
        return []
    if cell.startswith("["):
        return json.loads(cell)
    return [part.strip() for part in cell.split(";") if part.strip()]


def _csv_rows(text: str, errors: RowErrors) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        errors.add(1, "", f"Not valid CSV: {exc}.")
        return
    names = [name.strip() for name in header]
    unknown = [name for name in names if name not in COLUMNS]
    for name in unknown:
        errors.add(1, name, f"Unknown column {name!r}; the columns are {', '.join(COLUMNS)}.")
    if "input" not in names:
        errors.add(1, "input", "The CSV has no `input` column (the target's input, as JSON).")
    if unknown or "input" not in names:
        return
    number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.add(number + 1, "", f"Not valid CSV: {exc}.")
            return
        number += 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            errors.add(number, "", f"Has {len(cells)} cells; the header has {len(names)}.")
            continue
        data: dict[str, Any] = {}
        broken = False
        for name, cell in zip(names, cells, strict=True):
            try:
                if name in ("input", "metadata"):
                    data[name] = json.loads(cell) if cell.strip() else None
                elif name in ("expected_sources", "tags"):
                    data[name] = _csv_list(cell)
                else:
                    data[name] = cell
            except json.JSONDecodeError as exc:
                errors.add(number, name, f"Not valid JSON: {exc.msg} at column {exc.colno}.")
                broken = True
        if not broken:
            yield number, data


def parse_items(
    content: bytes | str, *, fmt: Format, input_model: type[BaseModel]
) -> list[ItemData]:
    """Every row of a file as an item; any problem anywhere → ImportRejected listing them all."""
    if fmt not in FORMATS:
        raise ImportRejected(f"Unknown format {fmt!r}: use jsonl or csv.", code="unknown_format")
    text = _decode(content)
    errors = RowErrors()
    rows = _jsonl_rows(text, errors) if fmt == "jsonl" else _csv_rows(text, errors)
    items: list[ItemData] = []
    seen: dict[uuid.UUID, int] = {}
    count = 0
    for number, data in rows:
        count += 1
        if count > MAX_IMPORT_ROWS:
            errors.add(number, "", f"A file can hold at most {MAX_IMPORT_ROWS:,} items.")
            break
        item = validate_row(data, row=number, input_model=input_model, errors=errors)
        if item is None:
            continue
        if item.key in seen:
            errors.add(number, "key", f"The same key as row {seen[item.key]}: keys are unique.")
            continue
        seen[item.key] = number
        items.append(item)
    errors.raise_if_any()
    if not items:
        raise ImportRejected(
            "The file has no items: write one row per item, each with an `input`.",
            code="empty_import",
            details=[{"row": 0, "field": "", "message": "No rows."}],
        )
    return items


def _csv_cell_list(values: Iterable[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False) if values else ""


def export_rows(rows: Iterable[dict[str, Any]], *, fmt: Format) -> str:
    """Rows (`ItemData.as_row()` shape) as a file in `fmt` that `parse_items` reads back."""
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if fmt != "csv":
        raise ImportRejected(f"Unknown format {fmt!r}: use jsonl or csv.", code="unknown_format")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row["key"],
                json.dumps(row["input"], ensure_ascii=False),
                row["reference"],
                _csv_cell_list(row["expected_sources"]),
                _csv_cell_list(row["tags"]),
                json.dumps(row["metadata"], ensure_ascii=False) if row["metadata"] else "",
            ]
        )
    return out.getvalue()
