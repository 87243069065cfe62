from http import HTTPStatus
from typing import Any
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.comparison_out import ComparisonOut
from ...models.error_out import ErrorOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    runs: list[UUID] | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_runs: list[str] | Unset = UNSET
    if not isinstance(runs, Unset):
        json_runs = []
        for runs_item_data in runs:
            runs_item = str(runs_item_data)
            json_runs.append(runs_item)

    params["runs"] = json_runs

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/comparisons",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ComparisonOut | ErrorOut | None:
    if response.status_code == 200:
        response_200 = ComparisonOut.from_dict(response.json())

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
) -> Response[ComparisonOut | ErrorOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    runs: list[UUID] | Unset = UNSET,
) -> Response[ComparisonOut | ErrorOut]:
    """Compare runs

     `?runs=<baseline>&runs=<candidate>[&runs=…]`: per case the outputs diffed and the score deltas
    (regressions first); per grader the paired bootstrap of the change.

    Args:
        runs (list[UUID] | Unset): 2 to 5 run ids, the baseline first (`?runs=a&runs=b`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ComparisonOut | ErrorOut]
    """

    kwargs = _get_kwargs(
        runs=runs,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    runs: list[UUID] | Unset = UNSET,
) -> ComparisonOut | ErrorOut | None:
    """Compare runs

     `?runs=<baseline>&runs=<candidate>[&runs=…]`: per case the outputs diffed and the score deltas
    (regressions first); per grader the paired bootstrap of the change.

    Args:
        runs (list[UUID] | Unset): 2 to 5 run ids, the baseline first (`?runs=a&runs=b`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ComparisonOut | ErrorOut
    """

    return sync_detailed(
        client=client,
        runs=runs,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    runs: list[UUID] | Unset = UNSET,
) -> Response[ComparisonOut | ErrorOut]:
    """Compare runs

     `?runs=<baseline>&runs=<candidate>[&runs=…]`: per case the outputs diffed and the score deltas
    (regressions first); per grader the paired bootstrap of the change.

    Args:
        runs (list[UUID] | Unset): 2 to 5 run ids, the baseline first (`?runs=a&runs=b`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ComparisonOut | ErrorOut]
    """

    kwargs = _get_kwargs(
        runs=runs,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    runs: list[UUID] | Unset = UNSET,
) -> ComparisonOut | ErrorOut | None:
    """Compare runs

     `?runs=<baseline>&runs=<candidate>[&runs=…]`: per case the outputs diffed and the score deltas
    (regressions first); per grader the paired bootstrap of the change.

    Args:
        runs (list[UUID] | Unset): 2 to 5 run ids, the baseline first (`?runs=a&runs=b`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ComparisonOut | ErrorOut
    """

    return (
        await asyncio_detailed(
            client=client,
            runs=runs,
        )
    ).parsed
