"""Text a person or a client sends must fit in Postgres `text`, which cannot hold NUL (U+0000).

Every interface refuses NUL the same way, before anything reaches the database: the API in one
place for every string of every route (product/api.py `KeelAPI`), Django form fields by default
(`ProhibitNullCharactersValidator`), and the chat's form-less views through its services. The
refusal is a 422 with the same message everywhere; nothing is silently stripped, so what is stored
is what was sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from product.core.errors import InvalidInput

NUL = "\x00"
NUL_MESSAGE = "Remove the NUL character (U+0000): text cannot contain it."
# The JSON Schema (ECMA-262) pattern the OpenAPI schema declares on every string.
NO_NUL_PATTERN = "^[^\\u0000]*$"


def nul_paths(value: Any, path: str) -> Iterator[str]:
    """The dotted paths (`body.items.0.name`) of every string holding NUL in a decoded JSON value,
    object keys included."""
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if NUL in str(key):
                yield f"{path}.{key!r}"
            yield from nul_paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nul_paths(item, f"{path}.{index}")


def nul_error(fields: list[str]) -> InvalidInput:
    return InvalidInput(
        NUL_MESSAGE,
        code="validation_error",
        details=[{"field": field, "message": NUL_MESSAGE} for field in fields],
    )


def reject_nul(text: str, field: str) -> str:
    """A service's check for text that did not come through a form or the API's schema."""
    if NUL in text:
        raise nul_error([field])
    return text
