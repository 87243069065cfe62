from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_out import ErrorOut
from ...models.exchange_out import ExchangeOut
from ...models.message_in import MessageIn
from ...types import UNSET, Response, Unset


def _get_kwargs(
    conversation_id: UUID,
    *,
    body: MessageIn,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/conversations/{conversation_id}/messages".format(
            conversation_id=quote(str(conversation_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorOut | ExchangeOut | None:
    if response.status_code == 202:
        response_202 = ExchangeOut.from_dict(response.json())

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
) -> Response[ErrorOut | ExchangeOut]:
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
    body: MessageIn,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[ErrorOut | ExchangeOut]:
    """Send a message

     Answers 202 with your message and the pending reply. Follow a reply with `GET
    /api/v1/messages/{id}/stream`: Server-Sent Events `delta` (`{"text"}`), `tool` (`{"step", "html"}`:
    a tool call started or ended, by `step.id`), `reset`, `done` (`{"message", "html"}`) and `error`;
    each event's `id` is a cursor: reconnect with `Last-Event-ID: <id>` or `?after=<id>` to get exactly
    the rest. Without a cursor the stream starts with the tool steps and text persisted so far. See
    docs/streaming.md.

    Args:
        conversation_id (UUID):
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (MessageIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | ExchangeOut]
    """

    kwargs = _get_kwargs(
        conversation_id=conversation_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    conversation_id: UUID,
    *,
    client: AuthenticatedClient,
    body: MessageIn,
    idempotency_key: None | str | Unset = UNSET,
) -> ErrorOut | ExchangeOut | None:
    """Send a message

     Answers 202 with your message and the pending reply. Follow a reply with `GET
    /api/v1/messages/{id}/stream`: Server-Sent Events `delta` (`{"text"}`), `tool` (`{"step", "html"}`:
    a tool call started or ended, by `step.id`), `reset`, `done` (`{"message", "html"}`) and `error`;
    each event's `id` is a cursor: reconnect with `Last-Event-ID: <id>` or `?after=<id>` to get exactly
    the rest. Without a cursor the stream starts with the tool steps and text persisted so far. See
    docs/streaming.md.

    Args:
        conversation_id (UUID):
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (MessageIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | ExchangeOut
    """

    return sync_detailed(
        conversation_id=conversation_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    conversation_id: UUID,
    *,
    client: AuthenticatedClient,
    body: MessageIn,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[ErrorOut | ExchangeOut]:
    """Send a message

     Answers 202 with your message and the pending reply. Follow a reply with `GET
    /api/v1/messages/{id}/stream`: Server-Sent Events `delta` (`{"text"}`), `tool` (`{"step", "html"}`:
    a tool call started or ended, by `step.id`), `reset`, `done` (`{"message", "html"}`) and `error`;
    each event's `id` is a cursor: reconnect with `Last-Event-ID: <id>` or `?after=<id>` to get exactly
    the rest. Without a cursor the stream starts with the tool steps and text persisted so far. See
    docs/streaming.md.

    Args:
        conversation_id (UUID):
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (MessageIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | ExchangeOut]
    """

    kwargs = _get_kwargs(
        conversation_id=conversation_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    conversation_id: UUID,
    *,
    client: AuthenticatedClient,
    body: MessageIn,
    idempotency_key: None | str | Unset = UNSET,
) -> ErrorOut | ExchangeOut | None:
    """Send a message

     Answers 202 with your message and the pending reply. Follow a reply with `GET
    /api/v1/messages/{id}/stream`: Server-Sent Events `delta` (`{"text"}`), `tool` (`{"step", "html"}`:
    a tool call started or ended, by `step.id`), `reset`, `done` (`{"message", "html"}`) and `error`;
    each event's `id` is a cursor: reconnect with `Last-Event-ID: <id>` or `?after=<id>` to get exactly
    the rest. Without a cursor the stream starts with the tool steps and text persisted so far. See
    docs/streaming.md.

    Args:
        conversation_id (UUID):
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (MessageIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | ExchangeOut
    """

    return (
        await asyncio_detailed(
            conversation_id=conversation_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
