from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_out import ErrorOut
from ...models.message_out import MessageOut
from ...types import Response


def _get_kwargs(
    message_id: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/messages/{message_id}/regenerate".format(
            message_id=quote(str(message_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorOut | MessageOut | None:
    if response.status_code == 202:
        response_202 = MessageOut.from_dict(response.json())

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
) -> Response[ErrorOut | MessageOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    message_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[ErrorOut | MessageOut]:
    """Regenerate the last reply

     Replaces the conversation's last reply (finished, stopped or failed) with a new one. Follow a reply
    with `GET /api/v1/messages/{id}/stream`: Server-Sent Events `delta` (`{"text"}`), `tool` (`{"step",
    "html"}`: a tool call started or ended, by `step.id`), `reset`, `done` (`{"message", "html"}`) and
    `error`; each event's `id` is a cursor: reconnect with `Last-Event-ID: <id>` or `?after=<id>` to get
    exactly the rest. Without a cursor the stream starts with the tool steps and text persisted so far.
    See docs/streaming.md.

    Args:
        message_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | MessageOut]
    """

    kwargs = _get_kwargs(
        message_id=message_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    message_id: UUID,
    *,
    client: AuthenticatedClient,
) -> ErrorOut | MessageOut | None:
    """Regenerate the last reply

     Replaces the conversation's last reply (finished, stopped or failed) with a new one. Follow a reply
    with `GET /api/v1/messages/{id}/stream`: Server-Sent Events `delta` (`{"text"}`), `tool` (`{"step",
    "html"}`: a tool call started or ended, by `step.id`), `reset`, `done` (`{"message", "html"}`) and
    `error`; each event's `id` is a cursor: reconnect with `Last-Event-ID: <id>` or `?after=<id>` to get
    exactly the rest. Without a cursor the stream starts with the tool steps and text persisted so far.
    See docs/streaming.md.

    Args:
        message_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | MessageOut
    """

    return sync_detailed(
        message_id=message_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    message_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[ErrorOut | MessageOut]:
    """Regenerate the last reply

     Replaces the conversation's last reply (finished, stopped or failed) with a new one. Follow a reply
    with `GET /api/v1/messages/{id}/stream`: Server-Sent Events `delta` (`{"text"}`), `tool` (`{"step",
    "html"}`: a tool call started or ended, by `step.id`), `reset`, `done` (`{"message", "html"}`) and
    `error`; each event's `id` is a cursor: reconnect with `Last-Event-ID: <id>` or `?after=<id>` to get
    exactly the rest. Without a cursor the stream starts with the tool steps and text persisted so far.
    See docs/streaming.md.

    Args:
        message_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | MessageOut]
    """

    kwargs = _get_kwargs(
        message_id=message_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    message_id: UUID,
    *,
    client: AuthenticatedClient,
) -> ErrorOut | MessageOut | None:
    """Regenerate the last reply

     Replaces the conversation's last reply (finished, stopped or failed) with a new one. Follow a reply
    with `GET /api/v1/messages/{id}/stream`: Server-Sent Events `delta` (`{"text"}`), `tool` (`{"step",
    "html"}`: a tool call started or ended, by `step.id`), `reset`, `done` (`{"message", "html"}`) and
    `error`; each event's `id` is a cursor: reconnect with `Last-Event-ID: <id>` or `?after=<id>` to get
    exactly the rest. Without a cursor the stream starts with the tool steps and text persisted so far.
    See docs/streaming.md.

    Args:
        message_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | MessageOut
    """

    return (
        await asyncio_detailed(
            message_id=message_id,
            client=client,
        )
    ).parsed
