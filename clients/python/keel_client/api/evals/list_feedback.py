from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_out import ErrorOut
from ...models.list_feedback_rating_type_0 import ListFeedbackRatingType0
from ...models.paged_feedback_out import PagedFeedbackOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    rating: ListFeedbackRatingType0 | None | Unset = UNSET,
    target: None | str | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_rating: None | str | Unset
    if isinstance(rating, Unset):
        json_rating = UNSET
    elif isinstance(rating, ListFeedbackRatingType0):
        json_rating = rating.value
    else:
        json_rating = rating
    params["rating"] = json_rating

    json_target: None | str | Unset
    if isinstance(target, Unset):
        json_target = UNSET
    else:
        json_target = target
    params["target"] = json_target

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
        "url": "/api/v1/feedback",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorOut | PagedFeedbackOut | None:
    if response.status_code == 200:
        response_200 = PagedFeedbackOut.from_dict(response.json())

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
) -> Response[ErrorOut | PagedFeedbackOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    rating: ListFeedbackRatingType0 | None | Unset = UNSET,
    target: None | str | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> Response[ErrorOut | PagedFeedbackOut]:
    """List the workspace's feedback

    Args:
        rating (ListFeedbackRatingType0 | None | Unset):
        target (None | str | Unset): A target, e.g. chat.reply.
        limit (int | Unset): Items per page (1-100). Default: 20.
        cursor (None | str | Unset): Opaque position from a previous page's `next` URL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | PagedFeedbackOut]
    """

    kwargs = _get_kwargs(
        rating=rating,
        target=target,
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    rating: ListFeedbackRatingType0 | None | Unset = UNSET,
    target: None | str | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> ErrorOut | PagedFeedbackOut | None:
    """List the workspace's feedback

    Args:
        rating (ListFeedbackRatingType0 | None | Unset):
        target (None | str | Unset): A target, e.g. chat.reply.
        limit (int | Unset): Items per page (1-100). Default: 20.
        cursor (None | str | Unset): Opaque position from a previous page's `next` URL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | PagedFeedbackOut
    """

    return sync_detailed(
        client=client,
        rating=rating,
        target=target,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    rating: ListFeedbackRatingType0 | None | Unset = UNSET,
    target: None | str | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> Response[ErrorOut | PagedFeedbackOut]:
    """List the workspace's feedback

    Args:
        rating (ListFeedbackRatingType0 | None | Unset):
        target (None | str | Unset): A target, e.g. chat.reply.
        limit (int | Unset): Items per page (1-100). Default: 20.
        cursor (None | str | Unset): Opaque position from a previous page's `next` URL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | PagedFeedbackOut]
    """

    kwargs = _get_kwargs(
        rating=rating,
        target=target,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    rating: ListFeedbackRatingType0 | None | Unset = UNSET,
    target: None | str | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
) -> ErrorOut | PagedFeedbackOut | None:
    """List the workspace's feedback

    Args:
        rating (ListFeedbackRatingType0 | None | Unset):
        target (None | str | Unset): A target, e.g. chat.reply.
        limit (int | Unset): Items per page (1-100). Default: 20.
        cursor (None | str | Unset): Opaque position from a previous page's `next` URL.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | PagedFeedbackOut
    """

    return (
        await asyncio_detailed(
            client=client,
            rating=rating,
            target=target,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
