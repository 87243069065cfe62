"""The one versioned API, /api/v1/. Each domain app contributes a router from its api.py."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from product.core.api import ApiError, BearerKeyAuth, WorkspaceSessionAuth, error_body

api = NinjaAPI(
    title="Keel API",
    version="1.0.0",
    urls_namespace="api-v1",
    description="Keel's public API. Authenticate with `Authorization: Bearer keel_live_…`.",
    auth=[BearerKeyAuth(), WorkspaceSessionAuth()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    response = api.create_response(
        request, error_body(exc.code, exc.message, exc.details), status=exc.status
    )
    for name, value in exc.headers.items():
        response[name] = value
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = [
        {"field": ".".join(str(part) for part in err.get("loc", [])), "message": err.get("msg", "")}
        for err in exc.errors
    ]
    return api.create_response(
        request, error_body("validation_error", "The request is not valid.", fields), status=422
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        error_body("unauthenticated", "Send a valid API key: Authorization: Bearer keel_live_…"),
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="keel"'
    return response


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body("not_found", "Not found."), status=404)


@api.get("/ping", auth=None, tags=["meta"], summary="Liveness of the API (no auth)")
def ping(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}
