"""Request bodies larger than the API's cap, allowed route by route, refused in words.

Every API route refuses a body over `settings.API_MAX_BODY_BYTES` (256 KB) with a 413 before
anything reads it (product/api.py, `KeelAPI._guard`). A route that takes files declares its own
cap instead, on the route function:

    @router.post("/collections/{collection_id}/documents", ...)
    @accepts_large_body(max_bytes=upload_cap, refusal=upload_refusal)
    def upload_document(request, collection_id, file: UploadedFile = File(None)): ...

`max_bytes` and `refusal` are called per request, so a settings override applies at once. Only the
methods of that route function get the cap; the rest of the path keeps the default.

Django's own DATA_UPLOAD_MAX_MEMORY_SIZE needs no change for this: in a multipart body it counts
the fields, never the files (which stream to memory, then above FILE_UPLOAD_MAX_MEMORY_SIZE to a
temporary file, never to a cut).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.http import HttpRequest

F = TypeVar("F", bound=Callable[..., Any])
ATTRIBUTE = "keel_body_limit"
# Room for a multipart body's boundaries and part headers around a file at the limit.
MULTIPART_FRAMING_BYTES = 64 * 1024


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: Callable[[], int]
    refusal: Callable[[int], str]  # the 413's message for a body of this many bytes


def accepts_large_body(
    *, max_bytes: Callable[[], int], refusal: Callable[[int], str]
) -> Callable[[F], F]:
    """Mark an API route function as taking bodies up to `max_bytes()` (put it under @router)."""

    def mark(view: F) -> F:
        setattr(view, ATTRIBUTE, BodyLimit(max_bytes=max_bytes, refusal=refusal))
        return view

    return mark


def body_limit_of(view: Callable[..., Any]) -> BodyLimit | None:
    limit = getattr(view, ATTRIBUTE, None)
    return limit if isinstance(limit, BodyLimit) else None


def content_length(request: HttpRequest) -> int:
    """The declared body size (0 when absent or unreadable: the parsers then find what is there)."""
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def megabytes(size: int) -> str:
    """31.2 MB: how a size is said to people (the same as the knowledge upload check)."""
    return f"{size / 1_048_576:.1f} MB"


def megabytes_limit(limit: int) -> str:
    """25 MB: a limit, in whole megabytes when it is whole."""
    value = limit / 1_048_576
    return f"{value:.0f} MB" if value == round(value) else f"{value:.1f} MB"
