"""The one versioned API, /api/v1/. Each domain app contributes a router from its api.py.

`KeelAPI` gives every route, including ones added later, the same contract for free:
- one error envelope `{"error": {"code", "message", "details"}}` for every failure, including the
  ones ninja or Django would answer in their own shapes (405, unknown paths, bad JSON, CSRF,
  oversized bodies) and true bugs (a logged 500, never a traceback);
- a body-size guard that answers 413 from `Content-Length` before anything parses the body (a
  route that takes files declares a larger cap of its own: product/core/uploads.py);
- one input check before any view runs (`_check_input`): a route that takes a body takes only
  `application/json` (415 otherwise) holding a JSON object (422 for `[]`, `"str"`, `null`, ...),
  and no string anywhere in the body, the query, the path or a declared header may hold NUL
  (422 per field: Postgres text cannot store it); the schema declares both;
- `X-RateLimit-*` headers on every authenticated answer (the limit itself is checked at auth time);
- the error responses documented on every operation in the OpenAPI schema.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from importlib import import_module
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.params.models import BodyModel, HeaderModel
from ninja.utils import normalize_path, replace_path_param_notation
from pydantic import Field

from product.apikeys.auth import BearerKeyAuth, WorkspaceSessionAuth
from product.core.errors import InvalidInput, KeelError, ServiceUnavailable, error_body
from product.core.features import feature_apps
from product.core.ratelimit import rate_limit_of
from product.core.text import NO_NUL_PATTERN, NUL, nul_error, nul_paths
from product.core.uploads import BodyLimit, body_limit_of, content_length

logger = logging.getLogger(__name__)


class ErrorDetail(Schema):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["Not found."])
    details: Any = Field(
        None, description="Per-field problems for validation errors; otherwise extra context."
    )


class ErrorOut(Schema):
    """Every error the API answers has this shape."""

    error: ErrorDetail


ERROR_RESPONSES: dict[str, str] = {
    "401": "Missing, malformed, expired or revoked API key (see `WWW-Authenticate`).",
    "403": "The key lacks the scope this route needs, or the session's CSRF check failed.",
    "404": "No such object in the caller's workspace (outsiders get no hint that it exists).",
    "422": "Validation failed: `details` lists each field with its message.",
    "429": "Rate limit exceeded: see `Retry-After` and `X-RateLimit-*`.",
}
BODY_ERROR_RESPONSES: dict[str, str] = {
    "413": "The body is larger than the API accepts.",
    "415": "The body is not sent as `Content-Type: application/json` (`unsupported_media_type`).",
}
ANY_ROUTE_ERROR_RESPONSES: dict[str, str] = {
    "503": "The service is briefly unavailable (its database is away): retry after `Retry-After`.",
}
CURSOR_ERROR = (
    "Validation failed: `details` lists each field with its message; `invalid_cursor` when "
    "`cursor` is not one this list gave."
)
IDEMPOTENT_ERROR_RESPONSES: dict[str, str] = {
    "409": "This `Idempotency-Key` was used with a different body, or is still running.",
}


class UnsupportedMediaType(KeelError):
    default_status = 415
    default_code = "unsupported_media_type"
    default_message = "Send the body as JSON, with `Content-Type: application/json`."


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _refuse_body_shape(request: HttpRequest) -> None:
    """A body route takes a JSON object, sent as JSON, and nothing else."""
    if not _is_json(request.content_type or ""):
        raise UnsupportedMediaType()
    try:
        data = json.loads(request.body) if request.body else None
    except ValueError:
        return  # ninja answers it, as malformed_json (below)
    if not isinstance(data, dict):
        # ninja would read `[]`, `null` or no body at all as "no fields" and fill in the defaults.
        kind = "nothing" if not request.body else "null" if data is None else type(data).__name__
        raise InvalidInput(
            f"The body must be a JSON object, not {kind}.",
            code="validation_error",
            details=[{"field": "body", "message": "A JSON object is required."}],
        )


def _raw_nul_fields(
    request: HttpRequest, operation: Operation, path_params: dict[str, Any]
) -> list[str]:
    fields = [
        f"query.{name}"
        for name, values in request.GET.lists()
        if NUL in name or any(NUL in value for value in values)
    ]
    fields += [
        f"path.{name}"
        for name, value in path_params.items()
        if isinstance(value, str) and NUL in value
    ]
    for model in operation.models:
        if issubclass(model, HeaderModel):
            fields += [
                f"header.{name}"
                for name in model.__ninja_flatten_map__
                if NUL in request.headers.get(name, "")
            ]
    return fields


def _body_nul_fields(operation: Operation, values: dict[str, Any]) -> list[str]:
    """NUL in what the body's schema read: properties it does not declare are dropped unread, so
    they may hold anything (the schema allows additional properties)."""
    fields: list[str] = []
    for model in operation.models:
        if issubclass(model, BodyModel):
            for name in model.model_fields:
                value = values.get(name)
                dumped = value.model_dump() if isinstance(value, Schema) else value
                fields += nul_paths(dumped, f"body.{name}")
    return fields


def _check_input(operation: Operation) -> None:
    """Run the input checks of the module docstring when ninja reads the operation's inputs: after
    authentication, so an anonymous caller learns nothing but 401, and inside ninja's error
    handling, so each refusal is a KeelError answered by `on_keel_error`."""
    if getattr(operation, "_keel_input_checked", False):
        return
    read_values = operation._get_values

    takes_body = any(issubclass(model, BodyModel) for model in operation.models)

    def checked_get_values(
        request: HttpRequest, path_params: Any, temporal_response: HttpResponse
    ) -> Any:
        if takes_body:
            _refuse_body_shape(request)
        fields = _raw_nul_fields(request, operation, path_params)
        if fields:
            raise nul_error(fields)
        values = read_values(request, path_params, temporal_response)
        fields = _body_nul_fields(operation, values)
        if fields:
            raise nul_error(fields)
        return values

    operation._get_values = checked_get_values  # type: ignore[method-assign]
    operation._keel_input_checked = True  # type: ignore[attr-defined]


# A route's own body caps, by HTTP method (most routes have none: the default cap applies).
BodyLimits = dict[str, BodyLimit]


class KeelAPI(NinjaAPI):
    # `{product}` in the title and description becomes settings.PRODUCT_NAME when the schema or the
    # docs page is built (both read these attributes), so renaming the product renames the API.
    @property
    def title(self) -> str:
        return self._title.replace("{product}", settings.PRODUCT_NAME)

    @title.setter
    def title(self, value: str) -> None:
        self._title = value

    @property
    def description(self) -> str:
        return self._description.replace("{product}", settings.PRODUCT_NAME)

    @description.setter
    def description(self, value: str) -> None:
        self._description = value

    def envelope(
        self, request: HttpRequest, status: int, code: str, message: str, details: Any = None
    ) -> HttpResponse:
        return self.create_response(request, error_body(code, message, details), status=status)

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        rate_limit = rate_limit_of(request)
        if rate_limit is not None:
            for name, value in rate_limit.headers().items():
                response.headers.setdefault(name, value)
        return response

    def _guard(self, request: HttpRequest, limits: BodyLimits) -> HttpResponse | None:
        size = content_length(request)
        limit = limits.get(request.method or "")
        if limit is not None:
            if size > limit.max_bytes():
                return self.envelope(request, 413, "body_too_large", limit.refusal(size))
            return None
        if size > settings.API_MAX_BODY_BYTES:
            return self.envelope(
                request,
                413,
                "body_too_large",
                f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes.",
            )
        return None

    def _finish(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if (
            response.status_code == 405
            and "Allow" in response
            and "json" not in response.get("Content-Type", "")
        ):
            allowed = response["Allow"]
            answer = self.envelope(
                request,
                405,
                "method_not_allowed",
                f"{request.method} is not allowed here; use {allowed}.",
                {"allowed": sorted(m.strip() for m in allowed.split(","))},
            )
            answer["Allow"] = allowed
            return answer
        return response

    def _wrap(
        self, view: Callable[..., Any], limits: BodyLimits | None = None
    ) -> Callable[..., Any]:
        """Put the body-size guard in front of a ninja view and the envelope on its 405s."""
        limits = limits or {}
        if iscoroutinefunction(view):

            async def async_wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                refused = self._guard(request, limits)
                if refused is not None:
                    return refused
                return self._finish(request, await view(request, *args, **kwargs))

            async_wrapped.csrf_exempt = True  # type: ignore[attr-defined]
            return async_wrapped

        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            refused = self._guard(request, limits)
            if refused is not None:
                return refused
            return self._finish(request, view(request, *args, **kwargs))

        wrapped.csrf_exempt = True  # type: ignore[attr-defined]
        return wrapped

    def _body_limits(self) -> dict[str, BodyLimits]:
        """The routes (as Django patterns spell them) whose functions declare a body cap of their
        own (`accepts_large_body`), with the cap of each method. The route is built the way
        ninja's BoundRouter.urls_paths builds it, so it equals `str(pattern.pattern)`."""
        found: dict[str, BodyLimits] = {}
        for bound_router in self._get_bound_routers():
            prefix = replace_path_param_notation(bound_router.prefix)
            for path, path_view in bound_router.path_operations.items():
                joined = "/".join(i for i in (prefix, replace_path_param_notation(path)) if i)
                route = normalize_path(joined).lstrip("/")
                for operation in path_view.operations:
                    limit = body_limit_of(operation.view_func)
                    if limit is not None:
                        for method in operation.methods:
                            found.setdefault(route, {})[method] = limit
        return found

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for bound_router in self._get_bound_routers():
            for path_view in bound_router.path_operations.values():
                for operation in path_view.operations:
                    _check_input(operation)
        limits = self._body_limits()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = self._wrap(pattern.callback, limits.get(str(pattern.pattern)))
        # Last: any other path under /api/v1/ is a 404 in the envelope, not Django's HTML page.
        patterns.append(re_path(r"^.*$", self._wrap(self._unknown_path)))
        return patterns

    def _unknown_path(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.envelope(request, 404, "not_found", "No such API route.")

    def get_openapi_operation_id(self, operation: Operation) -> str:
        # Short, stable ids (`list_jobs`, not `product_jobs_api_list_jobs`): they become the method
        # names of the generated client. tests/test_api_schema.py keeps them unique.
        return str(operation.view_func.__name__)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["ErrorDetail"] = ErrorDetail.model_json_schema()
        schemas["ErrorOut"] = {
            "title": "ErrorOut",
            "description": "Every error the API answers has this shape.",
            "type": "object",
            "properties": {"error": {"$ref": "#/components/schemas/ErrorDetail"}},
            "required": ["error"],
        }
        ref = {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        }
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                documented: dict[str, str] = {}
                if operation.get("security"):
                    documented.update(ERROR_RESPONSES)
                if "requestBody" in operation:
                    documented.update(BODY_ERROR_RESPONSES)
                    documented["422"] = ERROR_RESPONSES["422"]
                if operation.get("parameters"):
                    documented["422"] = ERROR_RESPONSES["422"]
                if any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])):
                    documented.update(IDEMPOTENT_ERROR_RESPONSES)
                if any(p.get("name") == "cursor" for p in operation.get("parameters", [])):
                    documented["422"] = CURSOR_ERROR
                documented.update(ANY_ROUTE_ERROR_RESPONSES)
                responses = operation.setdefault("responses", {})
                for status, description in sorted(documented.items()):
                    if status not in responses and int(status) not in responses:
                        responses[int(status)] = {"description": description, **ref}
                # A route's own errors (`openapi_extra={"responses": {409: {"description"}}}`)
                # say only what they mean; the envelope is the same for all.
                for status, response in responses.items():
                    if int(status) >= 400 and "content" not in response:
                        response.update(ref)
        paths = schema.setdefault("paths", {})
        paths.update(_stream_paths(paths))
        _forbid_nul(schema)
        return schema


def _forbid_nul(node: Any) -> None:
    """Declare on every string schema what `_check_input` enforces: no NUL."""
    if isinstance(node, dict):
        if node.get("type") == "string" and not (
            {"format", "enum", "const", "pattern"} & set(node)
        ):
            node["pattern"] = NO_NUL_PATTERN
        for value in node.values():
            _forbid_nul(value)
    elif isinstance(node, list):
        for value in node:
            _forbid_nul(value)


STREAM_EVENTS = """Server-Sent Events (`text/event-stream`) for one reply; the format is in
docs/streaming.md. Each event has an `id:` (a cursor) and one JSON `data:` line:

- `delta` `{"text"}`: append the text;
- `reset` `{}`: a new attempt started, clear the text;
- `done` `{"message", "html"}`: the reply finished (done or stopped), the stream ends;
- `error` `{"error": {"code", "message"}, "message", "html"}`: the reply failed, the stream ends;
- `: keepalive` comments every 15 s.

Without a cursor the stream starts with the text persisted so far as one `delta`. To resume, send
the last `id` back as `Last-Event-ID` (or `?after=`): you get exactly the rest. An unreadable
cursor is ignored (the stream starts over)."""


def _stream_paths(paths: dict[str, Any]) -> dict[str, Any]:
    """The SSE route is a plain async Django view (ninja does not stream), served at
    /api/v1/messages/{id}/stream; it is public API, so the schema lists it like any route."""
    get_message = paths.get("/api/v1/messages/{message_id}", {}).get("get")
    if get_message is None:
        return {}
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
    errors = {status: get_message["responses"][status] for status in (401, 403, 404, 503)}
    operation = {
        "operationId": "stream_message",
        "summary": "Follow a reply as it is written (Server-Sent Events)",
        "description": STREAM_EVENTS,
        "tags": get_message["tags"],
        "security": get_message["security"],
        "parameters": [
            *[p for p in get_message["parameters"] if p["in"] == "path"],
            {
                "in": "query",
                "name": "after",
                "required": False,
                "description": "Resume after this cursor (an event's `id`).",
                "schema": {"type": "string", "title": "After"},
            },
            {
                "in": "header",
                "name": "Last-Event-ID",
                "required": False,
                "description": "The browser's reconnect cursor; wins over `after`.",
                "schema": {"type": "string", "title": "Last-Event-Id"},
            },
        ],
        "responses": {
            200: {
                "description": "The reply's events, until `done` or `error`.",
                "content": {
                    "text/event-stream": {
                        "schema": {"type": "string"},
                        "example": 'id: 1764403200000-0\nevent: delta\ndata: {"text":"Hel"}\n\n',
                    }
                },
            },
            405: {"description": "Only GET streams.", **ref},
            **errors,
        },
    }
    return {"/api/v1/messages/{message_id}/stream": {"get": operation}}


api = KeelAPI(
    title="{product} API",
    version="1.0.0",
    urls_namespace="api-v1",
    description=(
        f"{{product}}'s public API. Authenticate with `Authorization: Bearer {settings.API_KEY_PREFIX}…` "
        "(create keys under API keys in the app), or from the browser with the session and its "
        "CSRF token. "
        'Every error is `{"error": {"code", "message", "details"}}`; lists are cursor '
        "paginated (`?limit=&cursor=`, follow `next`); POSTs that create work accept an "
        "`Idempotency-Key` header."
    ),
    auth=[BearerKeyAuth(), WorkspaceSessionAuth()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(KeelError)
def on_keel_error(request: HttpRequest, exc: KeelError) -> HttpResponse:
    """The one place a service's refusal becomes an API answer: the error says its status, code,
    message, details and headers (Retry-After included when it has `retry_after`)."""
    response = api.envelope(request, exc.status, exc.code, exc.message, exc.details)
    for name, value in exc.headers.items():
        response[name] = value
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = [
        {
            "field": ".".join(str(part) for part in err.get("loc", [])),
            "message": str(err.get("msg", err)),
        }
        for err in exc.errors
    ]
    return api.envelope(request, 422, "validation_error", "The request is not valid.", fields)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.envelope(
        request,
        401,
        "unauthenticated",
        f"Send a valid API key: Authorization: Bearer {settings.API_KEY_PREFIX}…",
    )
    response["WWW-Authenticate"] = 'Bearer realm="keel"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja's "Cannot parse request body": the JSON itself is malformed.
        return api.envelope(request, 422, "malformed_json", "The request body is not valid JSON.")
    if exc.status_code == 403 and "CSRF" in str(exc):
        return api.envelope(
            request,
            403,
            "csrf_failed",
            "Session calls must send the CSRF token in the X-CSRFToken header.",
        )
    return api.envelope(request, exc.status_code, f"http_{exc.status_code}", str(exc))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.envelope(request, 404, "not_found", "Not found.")


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.envelope(request, 403, "permission_denied", str(exc) or "You may not do this here.")


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.envelope(
        request,
        413,
        "body_too_large",
        f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes.",
    )


@api.exception_handler(DjangoValidationError)
def on_model_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    # A service or a model field refused a value the schema let through.
    fields = [{"field": "", "message": message} for message in exc.messages]
    return api.envelope(request, 422, "validation_error", "The request is not valid.", fields)


@api.exception_handler(json.JSONDecodeError)
def on_bad_json(request: HttpRequest, exc: json.JSONDecodeError) -> HttpResponse:
    return api.envelope(request, 422, "malformed_json", "The request body is not valid JSON.")


# The seconds a client should wait when the database is away (a restart takes a few).
DATABASE_RETRY_AFTER_S = 5


@api.exception_handler(DatabaseOperationalError)
@api.exception_handler(DatabaseInterfaceError)
def on_database_away(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The database (the truth) cannot be reached: the only outage that refuses work. A broker
    # outage never gets here (jobs are accepted and sent later, docs/operations.md).
    logger.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
    return on_keel_error(request, ServiceUnavailable(retry_after=DATABASE_RETRY_AFTER_S))


@api.exception_handler(Exception)
def on_bug(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A true bug: log it with the traceback (and the request id), answer without details.
    logger.exception("Unhandled API error on %s %s", request.method, request.path)
    return api.envelope(
        request,
        500,
        "internal_error",
        "Something went wrong on our side. It has been logged; quote the X-Request-ID.",
    )


class PingOut(Schema):
    status: str = Field(examples=["ok"])


@api.get(
    "/ping",
    auth=None,
    response=PingOut,
    tags=["meta"],
    summary="Liveness of the API (no auth)",
)
def ping(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


# Routers: the shell's apps by name, then every feature app's `api.router` (core/features.py).
from product.apikeys.api import router as apikeys_router  # noqa: E402
from product.jobs.api import router as jobs_router  # noqa: E402
from product.observability.api import router as observability_router  # noqa: E402

api.add_router("/", apikeys_router)
api.add_router("/", jobs_router)
api.add_router("/", observability_router)
for _feature in feature_apps():
    api.add_router("/", import_module(f"{_feature}.api").router)


def docs_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """/api/docs: the stable public address of the interactive docs of the current version."""
    return HttpResponseRedirect("/api/v1/docs")
