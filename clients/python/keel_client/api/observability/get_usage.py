import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_out import ErrorOut
from ...models.get_usage_group_by_type_0 import GetUsageGroupByType0
from ...models.usage_report_out import UsageReportOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    since: datetime.date | None | Unset = UNSET,
    until: datetime.date | None | Unset = UNSET,
    group_by: GetUsageGroupByType0 | None | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_since: None | str | Unset
    if isinstance(since, Unset):
        json_since = UNSET
    elif isinstance(since, datetime.date):
        json_since = since.isoformat()
    else:
        json_since = since
    params["since"] = json_since

    json_until: None | str | Unset
    if isinstance(until, Unset):
        json_until = UNSET
    elif isinstance(until, datetime.date):
        json_until = until.isoformat()
    else:
        json_until = until
    params["until"] = json_until

    json_group_by: None | str | Unset
    if isinstance(group_by, Unset):
        json_group_by = UNSET
    elif isinstance(group_by, GetUsageGroupByType0):
        json_group_by = group_by.value
    else:
        json_group_by = group_by
    params["group_by"] = json_group_by

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/usage",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorOut | UsageReportOut | None:
    if response.status_code == 200:
        response_200 = UsageReportOut.from_dict(response.json())

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
) -> Response[ErrorOut | UsageReportOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    since: datetime.date | None | Unset = UNSET,
    until: datetime.date | None | Unset = UNSET,
    group_by: GetUsageGroupByType0 | None | Unset = UNSET,
) -> Response[ErrorOut | UsageReportOut]:
    """Usage by day × model × feature × member, with totals and the month's budget

     Cost, tokens, requests, error rate and latency percentiles of the key's workspace. A key
    whose owner is a member (not an owner or admin) sees that member's calls only.

    Args:
        since (datetime.date | None | Unset): First UTC day, included (default: the first of this
            month).
        until (datetime.date | None | Unset): Last UTC day, included (default: today).
        group_by (GetUsageGroupByType0 | None | Unset): Rows by day × this alone; without it, by
            day × model × feature × member.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | UsageReportOut]
    """

    kwargs = _get_kwargs(
        since=since,
        until=until,
        group_by=group_by,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    since: datetime.date | None | Unset = UNSET,
    until: datetime.date | None | Unset = UNSET,
    group_by: GetUsageGroupByType0 | None | Unset = UNSET,
) -> ErrorOut | UsageReportOut | None:
    """Usage by day × model × feature × member, with totals and the month's budget

     Cost, tokens, requests, error rate and latency percentiles of the key's workspace. A key
    whose owner is a member (not an owner or admin) sees that member's calls only.

    Args:
        since (datetime.date | None | Unset): First UTC day, included (default: the first of this
            month).
        until (datetime.date | None | Unset): Last UTC day, included (default: today).
        group_by (GetUsageGroupByType0 | None | Unset): Rows by day × this alone; without it, by
            day × model × feature × member.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | UsageReportOut
    """

    return sync_detailed(
        client=client,
        since=since,
        until=until,
        group_by=group_by,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    since: datetime.date | None | Unset = UNSET,
    until: datetime.date | None | Unset = UNSET,
    group_by: GetUsageGroupByType0 | None | Unset = UNSET,
) -> Response[ErrorOut | UsageReportOut]:
    """Usage by day × model × feature × member, with totals and the month's budget

     Cost, tokens, requests, error rate and latency percentiles of the key's workspace. A key
    whose owner is a member (not an owner or admin) sees that member's calls only.

    Args:
        since (datetime.date | None | Unset): First UTC day, included (default: the first of this
            month).
        until (datetime.date | None | Unset): Last UTC day, included (default: today).
        group_by (GetUsageGroupByType0 | None | Unset): Rows by day × this alone; without it, by
            day × model × feature × member.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | UsageReportOut]
    """

    kwargs = _get_kwargs(
        since=since,
        until=until,
        group_by=group_by,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    since: datetime.date | None | Unset = UNSET,
    until: datetime.date | None | Unset = UNSET,
    group_by: GetUsageGroupByType0 | None | Unset = UNSET,
) -> ErrorOut | UsageReportOut | None:
    """Usage by day × model × feature × member, with totals and the month's budget

     Cost, tokens, requests, error rate and latency percentiles of the key's workspace. A key
    whose owner is a member (not an owner or admin) sees that member's calls only.

    Args:
        since (datetime.date | None | Unset): First UTC day, included (default: the first of this
            month).
        until (datetime.date | None | Unset): Last UTC day, included (default: today).
        group_by (GetUsageGroupByType0 | None | Unset): Rows by day × this alone; without it, by
            day × model × feature × member.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | UsageReportOut
    """

    return (
        await asyncio_detailed(
            client=client,
            since=since,
            until=until,
            group_by=group_by,
        )
    ).parsed
