"""Cursor pagination for every list in the API, in one line: `@cursor_paginated`.

    @router.get("/jobs", response=list[JobOut], tags=["jobs"], summary="List jobs")
    @cursor_paginated
    def list_jobs(request):
        return selectors.jobs_for_workspace(workspace=require_scope(request, "read").workspace)

The view returns a queryset; the decorator (ninja's `paginate` with `CursorPagination` below) adds
`?limit=` and `?cursor=` to the route, orders newest first by `(created_at, id)` and answers
`{"items": [...], "next": "<absolute URL of the next page>" | null}`.

Why keyset, not offsets: a page is one indexed range scan however deep the client goes, and rows
created while a client pages never shift it into duplicates or gaps. The cursor is opaque to
clients (URL-safe base64 of the last row's `created_at` and `id`); a tampered one is a 422, never
a 500. Any model with `created_at` and a unique `id` (every `TimeStampedModel`) works.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib import parse

from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import AsyncPaginationBase, paginate

from product.core.api import ApiError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
F = TypeVar("F", bound=Callable[..., Any])


def encode_cursor(row: Model) -> str:
    created_at: datetime = row.created_at  # type: ignore[attr-defined]
    raw = f"{created_at.isoformat()}|{row.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        when = datetime.fromisoformat(created_at)
        if when.tzinfo is None:
            raise ValueError("naive timestamp")
        return when, uuid.UUID(pk)
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise ApiError(
            422,
            "invalid_cursor",
            "The cursor is not valid: pass back the `next` URL exactly as it was given.",
            details=[{"field": "query.cursor", "message": "Invalid cursor."}],
        ) from exc


def page_after(
    queryset: QuerySet[Any], *, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """Newest first; returns the page's rows and the cursor of the next page (None on the last)."""
    rows = queryset.order_by("-created_at", "-pk")
    if cursor:
        created_at, pk = decode_cursor(cursor)
        rows = rows.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk))
    found = list(rows[: limit + 1])
    if len(found) > limit:
        return found[:limit], encode_cursor(found[limit - 1])
    return found, None


async def apage_after(
    queryset: QuerySet[Any], *, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    rows = queryset.order_by("-created_at", "-pk")
    if cursor:
        created_at, pk = decode_cursor(cursor)
        rows = rows.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk))
    found = [row async for row in rows[: limit + 1]]
    if len(found) > limit:
        return found[:limit], encode_cursor(found[limit - 1])
    return found, None


def next_url(request: HttpRequest, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    scheme, netloc, path, query, fragment = parse.urlsplit(request.build_absolute_uri())
    params = [(k, v) for k, v in parse.parse_qsl(query, keep_blank_values=True) if k != "cursor"]
    params.append(("cursor", cursor))
    return parse.urlunsplit((scheme, netloc, path, parse.urlencode(params), fragment))


class CursorParams(Schema):
    """The query parameters every paginated list accepts."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1-100).")
    cursor: str | None = Field(
        None,
        max_length=200,
        description="Opaque position from a previous page's `next` URL.",
    )


class CursorPagination(AsyncPaginationBase):
    """ninja's pagination protocol with Keel's keyset cursor (see the module docstring)."""

    Input = CursorParams

    class Output(Schema):
        items: list[Any]
        next: str | None = Field(
            description="Absolute URL of the next page, or null on the last page."
        )

    items_attribute = "items"

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: CursorParams, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        items, cursor = page_after(queryset, cursor=pagination.cursor, limit=pagination.limit)
        return {"items": items, "next": next_url(request, cursor)}

    async def apaginate_queryset(
        self, queryset: QuerySet[Any], pagination: CursorParams, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        items, cursor = await apage_after(
            queryset, cursor=pagination.cursor, limit=pagination.limit
        )
        return {"items": items, "next": next_url(request, cursor)}


def cursor_paginated(func: F) -> F:
    """Paginate a list route (declared `response=list[ItemOut]`) that returns a queryset."""
    decorated: F = paginate(CursorPagination)(func)
    return decorated
