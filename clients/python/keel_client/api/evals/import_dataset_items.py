from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_out import ErrorOut
from ...models.import_dataset_items_multi_part_body_params import ImportDatasetItemsMultiPartBodyParams
from ...models.version_out import VersionOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    dataset_id: UUID,
    *,
    body: ImportDatasetItemsMultiPartBodyParams,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/datasets/{dataset_id}/import".format(
            dataset_id=quote(str(dataset_id), safe=""),
        ),
    }

    _kwargs["files"] = body.to_multipart()

    headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorOut | VersionOut | None:
    if response.status_code == 201:
        response_201 = VersionOut.from_dict(response.json())

        return response_201

    if response.status_code == 401:
        response_401 = ErrorOut.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorOut.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorOut.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorOut.from_dict(response.json())

        return response_409

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
) -> Response[ErrorOut | VersionOut]:
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
    body: ImportDatasetItemsMultiPartBodyParams,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[ErrorOut | VersionOut]:
    """Import items from a file

     `multipart/form-data` with the file in `file` (JSONL: one JSON object per line; CSV: the columns
    key, input, reference, expected_sources, tags, metadata), up to 10 MB. The format comes from
    `format` or the file's extension. Rows are added in one new version (`replace=true`: they replace
    all items). Any bad row: 422 `import_rejected` with every problem in `details` as `{"row", "field",
    "message"}`, and nothing is stored.

    Args:
        dataset_id (UUID):
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (ImportDatasetItemsMultiPartBodyParams):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | VersionOut]
    """

    kwargs = _get_kwargs(
        dataset_id=dataset_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    dataset_id: UUID,
    *,
    client: AuthenticatedClient,
    body: ImportDatasetItemsMultiPartBodyParams,
    idempotency_key: None | str | Unset = UNSET,
) -> ErrorOut | VersionOut | None:
    """Import items from a file

     `multipart/form-data` with the file in `file` (JSONL: one JSON object per line; CSV: the columns
    key, input, reference, expected_sources, tags, metadata), up to 10 MB. The format comes from
    `format` or the file's extension. Rows are added in one new version (`replace=true`: they replace
    all items). Any bad row: 422 `import_rejected` with every problem in `details` as `{"row", "field",
    "message"}`, and nothing is stored.

    Args:
        dataset_id (UUID):
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (ImportDatasetItemsMultiPartBodyParams):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | VersionOut
    """

    return sync_detailed(
        dataset_id=dataset_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    dataset_id: UUID,
    *,
    client: AuthenticatedClient,
    body: ImportDatasetItemsMultiPartBodyParams,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[ErrorOut | VersionOut]:
    """Import items from a file

     `multipart/form-data` with the file in `file` (JSONL: one JSON object per line; CSV: the columns
    key, input, reference, expected_sources, tags, metadata), up to 10 MB. The format comes from
    `format` or the file's extension. Rows are added in one new version (`replace=true`: they replace
    all items). Any bad row: 422 `import_rejected` with every problem in `details` as `{"row", "field",
    "message"}`, and nothing is stored.

    Args:
        dataset_id (UUID):
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (ImportDatasetItemsMultiPartBodyParams):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | VersionOut]
    """

    kwargs = _get_kwargs(
        dataset_id=dataset_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    dataset_id: UUID,
    *,
    client: AuthenticatedClient,
    body: ImportDatasetItemsMultiPartBodyParams,
    idempotency_key: None | str | Unset = UNSET,
) -> ErrorOut | VersionOut | None:
    """Import items from a file

     `multipart/form-data` with the file in `file` (JSONL: one JSON object per line; CSV: the columns
    key, input, reference, expected_sources, tags, metadata), up to 10 MB. The format comes from
    `format` or the file's extension. Rows are added in one new version (`replace=true`: they replace
    all items). Any bad row: 422 `import_rejected` with every problem in `details` as `{"row", "field",
    "message"}`, and nothing is stored.

    Args:
        dataset_id (UUID):
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (ImportDatasetItemsMultiPartBodyParams):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | VersionOut
    """

    return (
        await asyncio_detailed(
            dataset_id=dataset_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
