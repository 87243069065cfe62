from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_out import ErrorOut
from ...models.paged_item_out import PagedItemOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    dataset_id: UUID,
    *,
    version: int | None | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_version: int | None | Unset
    if isinstance(version, Unset):
        json_version = UNSET
    else:
        json_version = version
    params["version"] = json_version

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
        "url": "/api/v1/datasets/{dataset_id}/items".format(
            dataset_id=quote(str(dataset_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorOut | PagedItemOut | None:
    if response.status_code == 200:
        response_200 = PagedItemOut.from_dict(response.json())

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
) -> Response[ErrorOut | PagedItemOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    dataset_id: UUID,
    *,
    client: AuthenticatedClient,
    version: int | None | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> Response[ErrorOut | PagedItemOut]:
    """List a version's items

     The current version's items in order, or `?version=N`'s. An empty dataset: 404.

    Args:
        dataset_id (UUID):
        version (int | None | Unset): A version's number; omitted: current.
        limit (int | Unset): Items per page (1-100). Default: 20.
        cursor (None | str | Unset): Opaque position from a previous page's `next` URL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | PagedItemOut]
    """

    kwargs = _get_kwargs(
        dataset_id=dataset_id,
        version=version,
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    dataset_id: UUID,
    *,
    client: AuthenticatedClient,
    version: int | None | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> ErrorOut | PagedItemOut | None:
    """List a version's items

     The current version's items in order, or `?version=N`'s. An empty dataset: 404.

    Args:
        dataset_id (UUID):
        version (int | None | Unset): A version's number; omitted: current.
        limit (int | Unset): Items per page (1-100). Default: 20.
        cursor (None | str | Unset): Opaque position from a previous page's `next` URL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | PagedItemOut
    """

    return sync_detailed(
        dataset_id=dataset_id,
        client=client,
        version=version,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    dataset_id: UUID,
    *,
    client: AuthenticatedClient,
    version: int | None | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> Response[ErrorOut | PagedItemOut]:
    """List a version's items

     The current version's items in order, or `?version=N`'s. An empty dataset: 404.

    Args:
        dataset_id (UUID):
        version (int | None | Unset): A version's number; omitted: current.
        limit (int | Unset): Items per page (1-100). Default: 20.
        cursor (None | str | Unset): Opaque position from a previous page's `next` URL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | PagedItemOut]
    """

    kwargs = _get_kwargs(
        dataset_id=dataset_id,
        version=version,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    dataset_id: UUID,
    *,
    client: AuthenticatedClient,
    version: int | None | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> ErrorOut | PagedItemOut | None:
    """List a version's items

     The current version's items in order, or `?version=N`'s. An empty dataset: 404.

    Args:
        dataset_id (UUID):
        version (int | None | Unset): A version's number; omitted: current.
        limit (int | Unset): Items per page (1-100). Default: 20.
        cursor (None | str | Unset): Opaque position from a previous page's `next` URL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | PagedItemOut
    """

    return (
        await asyncio_detailed(
            dataset_id=dataset_id,
            client=client,
            version=version,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
