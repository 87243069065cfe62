"""Cursor pagination for every list in the API, in one line: `@cursor_paginated`.

    @router.get("/jobs", response=list[JobOut], tags=["jobs"], summary="List jobs")
    @cursor_paginated
    def list_jobs(request):
        return selectors.jobs_for_workspace(workspace=require_scope(request, "read").workspace)

The view returns a queryset; the decorator (ninja's `paginate` with `CursorPagination` below) adds
`?limit=` and `?cursor=` to the route, orders newest first by `(created_at, id)` and answers
`{"items": [...], "next": "<absolute URL of the next page>" | null}`. Lists with another natural
order say so: `@cursor_paginated(order_by="position", descending=False)`; lists whose items need
mapping to their Out schema pass `transform=ItemOut.from_model` (applied to one page only), or
`transform_page=f` when the mapping needs the request (who is asking) or one query for the whole
page: `f(request, items) -> items`.

Why keyset, not offsets: a page is one indexed range scan however deep the client goes, and rows
created while a client pages never shift it into duplicates or gaps. The cursor is opaque to
clients (URL-safe base64 of the last row's ordering value and id); a tampered one is a 422, never a
500. The ordering field plus the primary key must be unique together (the pk makes it so).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, overload
from urllib import parse

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase, paginate

from product.core.errors import InvalidInput

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
F = TypeVar("F", bound=Callable[..., Any])


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def encode_cursor(row: Model, order_by: str = "created_at") -> str:
    raw = f"{_text(getattr(row, order_by))}|{row.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _invalid_cursor(exc: Exception) -> InvalidInput:
    return InvalidInput(
        "The cursor is not valid: pass back the `next` URL exactly as it was given.",
        code="invalid_cursor",
        details=[{"field": "query.cursor", "message": "Invalid cursor."}],
    )


def decode_cursor(model: type[Model], cursor: str, order_by: str = "created_at") -> tuple[Any, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, sep, pk = base64.urlsafe_b64decode(padded.encode()).decode().rpartition("|")
        if not sep:
            raise ValueError("no separator")
        field = model._meta.get_field(order_by)
        position = field.to_python(value)  # type: ignore[union-attr]
        if isinstance(position, datetime) and position.tzinfo is None:
            raise ValueError("naive timestamp")
        if position is None:
            raise ValueError("empty position")
        assert model._meta.pk is not None
        return position, model._meta.pk.to_python(pk)
    except (ValueError, TypeError, UnicodeError, binascii.Error, ValidationError) as exc:
        raise _invalid_cursor(exc) from exc


def _keyset(
    queryset: QuerySet[Any], cursor: str | None, order_by: str, descending: bool
) -> QuerySet[Any]:
    sign = "-" if descending else ""
    rows = queryset.order_by(f"{sign}{order_by}", f"{sign}pk")
    if cursor:
        position, pk = decode_cursor(queryset.model, cursor, order_by)
        beyond = "lt" if descending else "gt"
        rows = rows.filter(
            Q(**{f"{order_by}__{beyond}": position})
            | Q(**{order_by: position, f"pk__{beyond}": pk})
        )
    return rows


def page_after(
    queryset: QuerySet[Any],
    *,
    cursor: str | None,
    limit: int,
    order_by: str = "created_at",
    descending: bool = True,
) -> tuple[list[Any], str | None]:
    """One page and the cursor of the next one (None on the last)."""
    found = list(_keyset(queryset, cursor, order_by, descending)[: limit + 1])
    if len(found) > limit:
        return found[:limit], encode_cursor(found[limit - 1], order_by)
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


class CursorPagination(PaginationBase):
    """ninja's pagination protocol with Keel's keyset cursor (see the module docstring).

    Sync only, as every paginated route is: ninja refuses an async one at start with a ConfigError.
    """

    Input = CursorParams  # type: ignore[assignment]

    class Output(Schema):
        items: list[Any]
        next: str | None = Field(
            description="Absolute URL of the next page, or null on the last page."
        )

    items_attribute = "items"

    def __init__(
        self,
        *,
        order_by: str = "created_at",
        descending: bool = True,
        transform: Callable[[Any], Any] | None = None,
        transform_page: Callable[[HttpRequest, list[Any]], list[Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.order_by = order_by
        self.descending = descending
        self.transform = transform
        self.transform_page = transform_page

    def _answer(self, request: HttpRequest, items: list[Any], cursor: str | None) -> dict[str, Any]:
        if self.transform is not None:
            items = [self.transform(item) for item in items]
        if self.transform_page is not None:
            items = self.transform_page(request, items)
        return {"items": items, "next": next_url(request, cursor)}

    def paginate_queryset(
        self,
        queryset: QuerySet[Any],
        pagination: CursorParams,
        request: HttpRequest,
        **params: Any,
    ) -> dict[str, Any]:
        items, cursor = page_after(
            queryset,
            cursor=pagination.cursor,
            limit=pagination.limit,
            order_by=self.order_by,
            descending=self.descending,
        )
        return self._answer(request, items, cursor)


def _resolve_annotations(view: Callable[..., Any]) -> None:
    """Evaluate the view's postponed annotations (`from __future__ import annotations`) in its
    own module: ninja resolves them against the globals of the wrapper paginate puts around the
    view, where names such as `uuid` do not exist (a 500 on every call)."""
    annotations = getattr(view, "__annotations__", {})
    for name, annotation in list(annotations.items()):
        if isinstance(annotation, str):
            try:
                annotations[name] = eval(annotation, view.__globals__)  # noqa: S307 (the module's own annotation)
            except Exception:  # noqa: BLE001, S112 (left for ninja to report as before)
                continue


@overload
def cursor_paginated(func: F) -> F: ...


@overload
def cursor_paginated(
    *,
    order_by: str = "created_at",
    descending: bool = True,
    transform: Callable[[Any], Any] | None = None,
    transform_page: Callable[[HttpRequest, list[Any]], list[Any]] | None = None,
) -> Callable[[F], F]: ...


def cursor_paginated(
    func: F | None = None,
    *,
    order_by: str = "created_at",
    descending: bool = True,
    transform: Callable[[Any], Any] | None = None,
    transform_page: Callable[[HttpRequest, list[Any]], list[Any]] | None = None,
) -> F | Callable[[F], F]:
    """Paginate a list route (declared `response=list[ItemOut]`) that returns a queryset."""

    def decorate(view: F) -> F:
        _resolve_annotations(view)
        decorated: F = paginate(
            CursorPagination,
            order_by=order_by,
            descending=descending,
            transform=transform,
            transform_page=transform_page,
        )(view)
        return decorated

    return decorate(func) if func is not None else decorate
