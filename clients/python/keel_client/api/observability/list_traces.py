import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_out import ErrorOut
from ...models.list_traces_status_type_0 import ListTracesStatusType0
from ...models.paged_trace_out import PagedTraceOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    feature: None | str | Unset = UNSET,
    status: ListTracesStatusType0 | None | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_feature: None | str | Unset
    if isinstance(feature, Unset):
        json_feature = UNSET
    else:
        json_feature = feature
    params["feature"] = json_feature

    json_status: None | str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, ListTracesStatusType0):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    json_since: None | str | Unset
    if isinstance(since, Unset):
        json_since = UNSET
    elif isinstance(since, datetime.datetime):
        json_since = since.isoformat()
    else:
        json_since = since
    params["since"] = json_since

    json_until: None | str | Unset
    if isinstance(until, Unset):
        json_until = UNSET
    elif isinstance(until, datetime.datetime):
        json_until = until.isoformat()
    else:
        json_until = until
    params["until"] = json_until

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/traces",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorOut | PagedTraceOut | None:
    if response.status_code == 200:
        response_200 = PagedTraceOut.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ErrorOut.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorOut.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorOut.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = ErrorOut.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = ErrorOut.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = ErrorOut.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorOut | PagedTraceOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    feature: None | str | Unset = UNSET,
    status: ListTracesStatusType0 | None | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> Response[ErrorOut | PagedTraceOut]:
    """List traces

     Newest first. An owner's or admin's key lists every trace of the workspace; a member's
    key lists the member's own.

    Args:
        feature (None | str | Unset): e.g. chat, ask, evals, api.
        status (ListTracesStatusType0 | None | Unset):
        since (datetime.datetime | None | Unset): Traces that started at or after this (ISO 8601;
            no zone: UTC).
        until (datetime.datetime | None | Unset): Traces that started before this.
        limit (int | Unset): Items per page (1-100). Default: 20.
        cursor (None | str | Unset): Opaque position from a previous page's `next` URL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | PagedTraceOut]
    """

    kwargs = _get_kwargs(
        feature=feature,
        status=status,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    feature: None | str | Unset = UNSET,
    status: ListTracesStatusType0 | None | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> ErrorOut | PagedTraceOut | None:
    """List traces

     Newest first. An owner's or admin's key lists every trace of the workspace; a member's
    key lists the member's own.

    Args:
        feature (None | str | Unset): e.g. chat, ask, evals, api.
        status (ListTracesStatusType0 | None | Unset):
        since (datetime.datetime | None | Unset): Traces that started at or after this (ISO 8601;
            no zone: UTC).
        until (datetime.datetime | None | Unset): Traces that started before this.
        limit (int | Unset): Items per page (1-100). Default: 20.
        cursor (None | str | Unset): Opaque position from a previous page's `next` URL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | PagedTraceOut
    """

    return sync_detailed(
        client=client,
        feature=feature,
        status=status,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    feature: None | str | Unset = UNSET,
    status: ListTracesStatusType0 | None | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> Response[ErrorOut | PagedTraceOut]:
    """List traces

     Newest first. An owner's or admin's key lists every trace of the workspace; a member's
    key lists the member's own.

    Args:
        feature (None | str | Unset): e.g. chat, ask, evals, api.
        status (ListTracesStatusType0 | None | Unset):
        since (datetime.datetime | None | Unset): Traces that started at or after this (ISO 8601;
            no zone: UTC).
        until (datetime.datetime | None | Unset): Traces that started before this.
        limit (int | Unset): Items per page (1-100). Default: 20.
        cursor (None | str | Unset): Opaque position from a previous page's `next` URL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | PagedTraceOut]
    """

    kwargs = _get_kwargs(
        feature=feature,
        status=status,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    feature: None | str | Unset = UNSET,
    status: ListTracesStatusType0 | None | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> ErrorOut | PagedTraceOut | None:
    """List traces

     Newest first. An owner's or admin's key lists every trace of the workspace; a member's
    key lists the member's own.

    Args:
        feature (None | str | Unset): e.g. chat, ask, evals, api.
        status (ListTracesStatusType0 | None | Unset):
        since (datetime.datetime | None | Unset): Traces that started at or after this (ISO 8601;
            no zone: UTC).
        until (datetime.datetime | None | Unset): Traces that started before this.
        limit (int | Unset): Items per page (1-100). Default: 20.
        cursor (None | str | Unset): Opaque position from a previous page's `next` URL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | PagedTraceOut
    """

    return (
        await asyncio_detailed(
            client=client,
            feature=feature,
            status=status,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
