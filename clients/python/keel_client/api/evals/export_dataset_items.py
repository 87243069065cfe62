from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_out import ErrorOut
from ...models.export_dataset_items_format import ExportDatasetItemsFormat
from ...types import UNSET, Response, Unset


def _get_kwargs(
    dataset_id: UUID,
    *,
    version: int | None | Unset = UNSET,
    format_: ExportDatasetItemsFormat | Unset = ExportDatasetItemsFormat.JSONL,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_version: int | None | Unset
    if isinstance(version, Unset):
        json_version = UNSET
    else:
        json_version = version
    params["version"] = json_version

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_.value

    params["format"] = json_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/datasets/{dataset_id}/export".format(
            dataset_id=quote(str(dataset_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorOut | str | None:
    if response.status_code == 200:
        response_200 = response.text
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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ErrorOut | str]:
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
    format_: ExportDatasetItemsFormat | Unset = ExportDatasetItemsFormat.JSONL,
) -> Response[ErrorOut | str]:
    """Export a version's items

     A file download (`Content-Disposition: attachment`): JSONL (`application/x-ndjson`) or CSV
    (`text/csv`), in the format import reads back unchanged.

    Args:
        dataset_id (UUID):
        version (int | None | Unset): A version's number; omitted: current.
        format_ (ExportDatasetItemsFormat | Unset):  Default: ExportDatasetItemsFormat.JSONL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | str]
    """

    kwargs = _get_kwargs(
        dataset_id=dataset_id,
        version=version,
        format_=format_,
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
    format_: ExportDatasetItemsFormat | Unset = ExportDatasetItemsFormat.JSONL,
) -> ErrorOut | str | None:
    """Export a version's items

     A file download (`Content-Disposition: attachment`): JSONL (`application/x-ndjson`) or CSV
    (`text/csv`), in the format import reads back unchanged.

    Args:
        dataset_id (UUID):
        version (int | None | Unset): A version's number; omitted: current.
        format_ (ExportDatasetItemsFormat | Unset):  Default: ExportDatasetItemsFormat.JSONL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | str
    """

    return sync_detailed(
        dataset_id=dataset_id,
        client=client,
        version=version,
        format_=format_,
    ).parsed


async def asyncio_detailed(
    dataset_id: UUID,
    *,
    client: AuthenticatedClient,
    version: int | None | Unset = UNSET,
    format_: ExportDatasetItemsFormat | Unset = ExportDatasetItemsFormat.JSONL,
) -> Response[ErrorOut | str]:
    """Export a version's items

     A file download (`Content-Disposition: attachment`): JSONL (`application/x-ndjson`) or CSV
    (`text/csv`), in the format import reads back unchanged.

    Args:
        dataset_id (UUID):
        version (int | None | Unset): A version's number; omitted: current.
        format_ (ExportDatasetItemsFormat | Unset):  Default: ExportDatasetItemsFormat.JSONL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | str]
    """

    kwargs = _get_kwargs(
        dataset_id=dataset_id,
        version=version,
        format_=format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    dataset_id: UUID,
    *,
    client: AuthenticatedClient,
    version: int | None | Unset = UNSET,
    format_: ExportDatasetItemsFormat | Unset = ExportDatasetItemsFormat.JSONL,
) -> ErrorOut | str | None:
    """Export a version's items

     A file download (`Content-Disposition: attachment`): JSONL (`application/x-ndjson`) or CSV
    (`text/csv`), in the format import reads back unchanged.

    Args:
        dataset_id (UUID):
        version (int | None | Unset): A version's number; omitted: current.
        format_ (ExportDatasetItemsFormat | Unset):  Default: ExportDatasetItemsFormat.JSONL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | str
    """

    return (
        await asyncio_detailed(
            dataset_id=dataset_id,
            client=client,
            version=version,
            format_=format_,
        )
    ).parsed
