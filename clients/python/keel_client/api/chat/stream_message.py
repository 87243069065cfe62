from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_out import ErrorOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    message_id: UUID,
    *,
    after: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(last_event_id, Unset):
        headers["Last-Event-ID"] = last_event_id

    params: dict[str, Any] = {}

    params["after"] = after

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/messages/{message_id}/stream".format(
            message_id=quote(str(message_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
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

    if response.status_code == 405:
        response_405 = ErrorOut.from_dict(response.json())

        return response_405

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
    message_id: UUID,
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Response[ErrorOut | str]:
    """Follow a reply as it is written (Server-Sent Events)

     Server-Sent Events (`text/event-stream`) for one reply; the format is in
    docs/streaming.md. Each event has an `id:` (a cursor) and one JSON `data:` line:

    - `delta` `{"text"}`: append the text;
    - `reset` `{}`: a new attempt started, clear the text;
    - `done` `{"message", "html"}`: the reply finished (done or stopped), the stream ends;
    - `error` `{"error": {"code", "message"}, "message", "html"}`: the reply failed, the stream ends;
    - `: keepalive` comments every 15 s.

    Without a cursor the stream starts with the text persisted so far as one `delta`. To resume, send
    the last `id` back as `Last-Event-ID` (or `?after=`): you get exactly the rest. An unreadable
    cursor is ignored (the stream starts over).

    Args:
        message_id (UUID):
        after (str | Unset):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | str]
    """

    kwargs = _get_kwargs(
        message_id=message_id,
        after=after,
        last_event_id=last_event_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    message_id: UUID,
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> ErrorOut | str | None:
    """Follow a reply as it is written (Server-Sent Events)

     Server-Sent Events (`text/event-stream`) for one reply; the format is in
    docs/streaming.md. Each event has an `id:` (a cursor) and one JSON `data:` line:

    - `delta` `{"text"}`: append the text;
    - `reset` `{}`: a new attempt started, clear the text;
    - `done` `{"message", "html"}`: the reply finished (done or stopped), the stream ends;
    - `error` `{"error": {"code", "message"}, "message", "html"}`: the reply failed, the stream ends;
    - `: keepalive` comments every 15 s.

    Without a cursor the stream starts with the text persisted so far as one `delta`. To resume, send
    the last `id` back as `Last-Event-ID` (or `?after=`): you get exactly the rest. An unreadable
    cursor is ignored (the stream starts over).

    Args:
        message_id (UUID):
        after (str | Unset):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | str
    """

    return sync_detailed(
        message_id=message_id,
        client=client,
        after=after,
        last_event_id=last_event_id,
    ).parsed


async def asyncio_detailed(
    message_id: UUID,
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Response[ErrorOut | str]:
    """Follow a reply as it is written (Server-Sent Events)

     Server-Sent Events (`text/event-stream`) for one reply; the format is in
    docs/streaming.md. Each event has an `id:` (a cursor) and one JSON `data:` line:

    - `delta` `{"text"}`: append the text;
    - `reset` `{}`: a new attempt started, clear the text;
    - `done` `{"message", "html"}`: the reply finished (done or stopped), the stream ends;
    - `error` `{"error": {"code", "message"}, "message", "html"}`: the reply failed, the stream ends;
    - `: keepalive` comments every 15 s.

    Without a cursor the stream starts with the text persisted so far as one `delta`. To resume, send
    the last `id` back as `Last-Event-ID` (or `?after=`): you get exactly the rest. An unreadable
    cursor is ignored (the stream starts over).

    Args:
        message_id (UUID):
        after (str | Unset):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | str]
    """

    kwargs = _get_kwargs(
        message_id=message_id,
        after=after,
        last_event_id=last_event_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    message_id: UUID,
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> ErrorOut | str | None:
    """Follow a reply as it is written (Server-Sent Events)

     Server-Sent Events (`text/event-stream`) for one reply; the format is in
    docs/streaming.md. Each event has an `id:` (a cursor) and one JSON `data:` line:

    - `delta` `{"text"}`: append the text;
    - `reset` `{}`: a new attempt started, clear the text;
    - `done` `{"message", "html"}`: the reply finished (done or stopped), the stream ends;
    - `error` `{"error": {"code", "message"}, "message", "html"}`: the reply failed, the stream ends;
    - `: keepalive` comments every 15 s.

    Without a cursor the stream starts with the text persisted so far as one `delta`. To resume, send
    the last `id` back as `Last-Event-ID` (or `?after=`): you get exactly the rest. An unreadable
    cursor is ignored (the stream starts over).

    Args:
        message_id (UUID):
        after (str | Unset):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | str
    """

    return (
        await asyncio_detailed(
            message_id=message_id,
            client=client,
            after=after,
            last_event_id=last_event_id,
        )
    ).parsed
