"""A vector column that works on both databases Keel runs on.

Postgres (production): pgvector's `vector` type, declared without a dimension so that one table
holds the vectors of every embedding index (each index has a partial HNSW index of its own, on
`embedding::vector(D)`; see migrations and services.create_index). Values travel as pgvector's text
form `[0.1,0.2,...]`, which is also JSON.

SQLite (the embedded default): a BLOB of little-endian float32s; the vector leg compares them in
Python (retrieval.py), exactly, over one collection's rows.

pgvector-python would pull numpy into every process for this; the conversion is a few lines.
"""

from __future__ import annotations

import json
import struct
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


def pack(vector: list[float]) -> bytes:
    return struct.pack(f"<{len(vector)}f", *vector)


def unpack(blob: bytes) -> list[float]:
    return list(struct.unpack(f"<{len(blob) // 4}f", blob))


def to_pg_text(vector: list[float]) -> str:
    # repr of a float round-trips; pgvector stores float4, so this loses nothing it keeps.
    return "[" + ",".join(repr(float(v)) for v in vector) + "]"


if TYPE_CHECKING:
    _FieldBase = models.Field[list[float], list[float]]
else:
    _FieldBase = models.Field  # Django's Field is generic only in django-stubs


class VectorField(_FieldBase):
    description = "An embedding vector (pgvector on Postgres, float32 blob on SQLite)"

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        return "vector" if connection.vendor == "postgresql" else "blob"

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if value is None:
            return None
        vector = [float(v) for v in value]
        if connection.vendor == "postgresql":
            return to_pg_text(vector)
        return pack(vector)

    def from_db_value(
        self, value: Any, expression: Any, connection: BaseDatabaseWrapper
    ) -> list[float] | None:
        if value is None:
            return None
        if isinstance(value, str):
            return [float(v) for v in json.loads(value)]
        return unpack(bytes(value))
