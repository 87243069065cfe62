from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.conversation_out import ConversationOut
from ...models.conversation_patch import ConversationPatch
from ...models.error_out import ErrorOut
from ...types import Response


def _get_kwargs(
    conversation_id: UUID,
    *,
    body: ConversationPatch,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/api/v1/conversations/{conversation_id}".format(
            conversation_id=quote(str(conversation_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ConversationOut | ErrorOut | None:
    if response.status_code == 200:
        response_200 = ConversationOut.from_dict(response.json())

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
) -> Response[ConversationOut | ErrorOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    conversation_id: UUID,
    *,
    client: AuthenticatedClient,
    body: ConversationPatch,
) -> Response[ConversationOut | ErrorOut]:
    """Rename a conversation or change its collection

     Send only what changes. `collection_id` applies from the next reply on (null: no documents); replies
    already written keep their citations.

    Args:
        conversation_id (UUID):
        body (ConversationPatch): Send only what changes: `title` renames, `collection_id` (null:
            none) re-grounds.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConversationOut | ErrorOut]
    """

    kwargs = _get_kwargs(
        conversation_id=conversation_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    conversation_id: UUID,
    *,
    client: AuthenticatedClient,
    body: ConversationPatch,
) -> ConversationOut | ErrorOut | None:
    """Rename a conversation or change its collection

     Send only what changes. `collection_id` applies from the next reply on (null: no documents); replies
    already written keep their citations.

    Args:
        conversation_id (UUID):
        body (ConversationPatch): Send only what changes: `title` renames, `collection_id` (null:
            none) re-grounds.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConversationOut | ErrorOut
    """

    return sync_detailed(
        conversation_id=conversation_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    conversation_id: UUID,
    *,
    client: AuthenticatedClient,
    body: ConversationPatch,
) -> Response[ConversationOut | ErrorOut]:
    """Rename a conversation or change its collection

     Send only what changes. `collection_id` applies from the next reply on (null: no documents); replies
    already written keep their citations.

    Args:
        conversation_id (UUID):
        body (ConversationPatch): Send only what changes: `title` renames, `collection_id` (null:
            none) re-grounds.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConversationOut | ErrorOut]
    """

    kwargs = _get_kwargs(
        conversation_id=conversation_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    conversation_id: UUID,
    *,
    client: AuthenticatedClient,
    body: ConversationPatch,
) -> ConversationOut | ErrorOut | None:
    """Rename a conversation or change its collection

     Send only what changes. `collection_id` applies from the next reply on (null: no documents); replies
    already written keep their citations.

    Args:
        conversation_id (UUID):
        body (ConversationPatch): Send only what changes: `title` renames, `collection_id` (null:
            none) re-grounds.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConversationOut | ErrorOut
    """

    return (
        await asyncio_detailed(
            conversation_id=conversation_id,
            client=client,
            body=body,
        )
    ).parsed
