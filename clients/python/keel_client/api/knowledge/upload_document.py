from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_out import ErrorOut
from ...models.upload_document_file_params import UploadDocumentFileParams
from ...models.upload_out import UploadOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    collection_id: UUID,
    *,
    body: UploadDocumentFileParams,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/collections/{collection_id}/documents".format(
            collection_id=quote(str(collection_id), safe=""),
        ),
    }

    _kwargs["files"] = body.to_multipart()

    headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorOut | UploadOut | None:
    if response.status_code == 202:
        response_202 = UploadOut.from_dict(response.json())

        return response_202

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
) -> Response[ErrorOut | UploadOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    collection_id: UUID,
    *,
    client: AuthenticatedClient,
    body: UploadDocumentFileParams,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[ErrorOut | UploadOut]:
    """Upload a document

     One file per request as `multipart/form-data` (part `file`), up to 25 MB: PDF, DOCX, HTML, Markdown
    or plain text, told apart by their first bytes. Answers 202 and ingests it as a job; poll `GET
    /documents/{id}` until `status` is `ready` or `failed`. The same name again is a new version of that
    document (same id); the same bytes again say `unchanged: true`. A file over the limit is a 413 and
    an unsupported or empty one a 422, naming the file, and nothing is stored.

    Args:
        collection_id (UUID):
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (UploadDocumentFileParams):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | UploadOut]
    """

    kwargs = _get_kwargs(
        collection_id=collection_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    collection_id: UUID,
    *,
    client: AuthenticatedClient,
    body: UploadDocumentFileParams,
    idempotency_key: None | str | Unset = UNSET,
) -> ErrorOut | UploadOut | None:
    """Upload a document

     One file per request as `multipart/form-data` (part `file`), up to 25 MB: PDF, DOCX, HTML, Markdown
    or plain text, told apart by their first bytes. Answers 202 and ingests it as a job; poll `GET
    /documents/{id}` until `status` is `ready` or `failed`. The same name again is a new version of that
    document (same id); the same bytes again say `unchanged: true`. A file over the limit is a 413 and
    an unsupported or empty one a 422, naming the file, and nothing is stored.

    Args:
        collection_id (UUID):
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (UploadDocumentFileParams):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | UploadOut
    """

    return sync_detailed(
        collection_id=collection_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    collection_id: UUID,
    *,
    client: AuthenticatedClient,
    body: UploadDocumentFileParams,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[ErrorOut | UploadOut]:
    """Upload a document

     One file per request as `multipart/form-data` (part `file`), up to 25 MB: PDF, DOCX, HTML, Markdown
    or plain text, told apart by their first bytes. Answers 202 and ingests it as a job; poll `GET
    /documents/{id}` until `status` is `ready` or `failed`. The same name again is a new version of that
    document (same id); the same bytes again say `unchanged: true`. A file over the limit is a 413 and
    an unsupported or empty one a 422, naming the file, and nothing is stored.

    Args:
        collection_id (UUID):
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (UploadDocumentFileParams):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | UploadOut]
    """

    kwargs = _get_kwargs(
        collection_id=collection_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    collection_id: UUID,
    *,
    client: AuthenticatedClient,
    body: UploadDocumentFileParams,
    idempotency_key: None | str | Unset = UNSET,
) -> ErrorOut | UploadOut | None:
    """Upload a document

     One file per request as `multipart/form-data` (part `file`), up to 25 MB: PDF, DOCX, HTML, Markdown
    or plain text, told apart by their first bytes. Answers 202 and ingests it as a job; poll `GET
    /documents/{id}` until `status` is `ready` or `failed`. The same name again is a new version of that
    document (same id); the same bytes again say `unchanged: true`. A file over the limit is a 413 and
    an unsupported or empty one a 422, naming the file, and nothing is stored.

    Args:
        collection_id (UUID):
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (UploadDocumentFileParams):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | UploadOut
    """

    return (
        await asyncio_detailed(
            collection_id=collection_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
