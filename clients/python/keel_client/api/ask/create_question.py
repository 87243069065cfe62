from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_out import ErrorOut
from ...models.question_detail_out import QuestionDetailOut
from ...models.question_in import QuestionIn
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: QuestionIn,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/questions",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorOut | QuestionDetailOut | None:
    if response.status_code == 202:
        response_202 = QuestionDetailOut.from_dict(response.json())

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
) -> Response[ErrorOut | QuestionDetailOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: QuestionIn,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[ErrorOut | QuestionDetailOut]:
    """Ask a question

     Queues the question as an `ask.once` job and answers at once; poll `GET /questions/{id}` until
    `job.status` is succeeded, failed or cancelled. Over quota: 429 with `Retry-After`, and nothing is
    queued.

    Args:
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (QuestionIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | QuestionDetailOut]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: QuestionIn,
    idempotency_key: None | str | Unset = UNSET,
) -> ErrorOut | QuestionDetailOut | None:
    """Ask a question

     Queues the question as an `ask.once` job and answers at once; poll `GET /questions/{id}` until
    `job.status` is succeeded, failed or cancelled. Over quota: 429 with `Retry-After`, and nothing is
    queued.

    Args:
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (QuestionIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | QuestionDetailOut
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: QuestionIn,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[ErrorOut | QuestionDetailOut]:
    """Ask a question

     Queues the question as an `ask.once` job and answers at once; poll `GET /questions/{id}` until
    `job.status` is succeeded, failed or cancelled. Over quota: 429 with `Retry-After`, and nothing is
    queued.

    Args:
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (QuestionIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | QuestionDetailOut]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: QuestionIn,
    idempotency_key: None | str | Unset = UNSET,
) -> ErrorOut | QuestionDetailOut | None:
    """Ask a question

     Queues the question as an `ask.once` job and answers at once; poll `GET /questions/{id}` until
    `job.status` is succeeded, failed or cancelled. Over quota: 429 with `Retry-After`, and nothing is
    queued.

    Args:
        idempotency_key (None | str | Unset): Any unique string (a UUID is good). A retry with the
            same key and body returns the first response instead of creating the work again.
        body (QuestionIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | QuestionDetailOut
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
