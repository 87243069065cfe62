from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_out import ErrorOut
from ...models.item_change_out import ItemChangeOut
from ...models.item_patch import ItemPatch
from ...types import Response


def _get_kwargs(
    dataset_id: UUID,
    item_key: str,
    *,
    body: ItemPatch,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/api/v1/datasets/{dataset_id}/items/{item_key}".format(
            dataset_id=quote(str(dataset_id), safe=""),
            item_key=quote(str(item_key), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorOut | ItemChangeOut | None:
    if response.status_code == 200:
        response_200 = ItemChangeOut.from_dict(response.json())

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

    if response.status_code == 413:
        response_413 = ErrorOut.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = ErrorOut.from_dict(response.json())

        return response_415

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
) -> Response[ErrorOut | ItemChangeOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    dataset_id: UUID,
    item_key: str,
    *,
    client: AuthenticatedClient,
    body: ItemPatch,
) -> Response[ErrorOut | ItemChangeOut]:
    """Edit an item

     `item_key` is the item's key (or the name it was derived from). Makes a new version in which the
    item has the fields sent; older versions keep it as it was.

    Args:
        dataset_id (UUID):
        item_key (str):
        body (ItemPatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | ItemChangeOut]
    """

    kwargs = _get_kwargs(
        dataset_id=dataset_id,
        item_key=item_key,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    dataset_id: UUID,
    item_key: str,
    *,
    client: AuthenticatedClient,
    body: ItemPatch,
) -> ErrorOut | ItemChangeOut | None:
    """Edit an item

     `item_key` is the item's key (or the name it was derived from). Makes a new version in which the
    item has the fields sent; older versions keep it as it was.

    Args:
        dataset_id (UUID):
        item_key (str):
        body (ItemPatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | ItemChangeOut
    """

    return sync_detailed(
        dataset_id=dataset_id,
        item_key=item_key,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    dataset_id: UUID,
    item_key: str,
    *,
    client: AuthenticatedClient,
    body: ItemPatch,
) -> Response[ErrorOut | ItemChangeOut]:
    """Edit an item

     `item_key` is the item's key (or the name it was derived from). Makes a new version in which the
    item has the fields sent; older versions keep it as it was.

    Args:
        dataset_id (UUID):
        item_key (str):
        body (ItemPatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | ItemChangeOut]
    """

    kwargs = _get_kwargs(
        dataset_id=dataset_id,
        item_key=item_key,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    dataset_id: UUID,
    item_key: str,
    *,
    client: AuthenticatedClient,
    body: ItemPatch,
) -> ErrorOut | ItemChangeOut | None:
    """Edit an item

     `item_key` is the item's key (or the name it was derived from). Makes a new version in which the
    item has the fields sent; older versions keep it as it was.

    Args:
        dataset_id (UUID):
        item_key (str):
        body (ItemPatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | ItemChangeOut
    """

    return (
        await asyncio_detailed(
            dataset_id=dataset_id,
            item_key=item_key,
            client=client,
            body=body,
        )
    ).parsed
