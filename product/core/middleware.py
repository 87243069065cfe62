"""Request ids for every log line, the Content-Security-Policy header, toasts for htmx fragments,
and the product's own 404 page in development."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.messages import get_messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.urls import Resolver404, get_resolver, resolve
from opentelemetry import trace as otel_trace
from whitenoise.middleware import WhiteNoiseMiddleware

from product.core import tracing

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_var.get()
        if request_id == "-":
            # django.request logs a 4xx/5xx after the middleware returned (outside the context);
            # its record carries the request, which carries the id.
            request_id = getattr(getattr(record, "request", None), "request_id", "-")
        record.request_id = request_id
        return True


def _incoming_request_id(request: HttpRequest) -> str:
    candidate = request.headers.get("X-Request-ID", "")
    return candidate if _SAFE_ID.match(candidate) else uuid.uuid4().hex


class HybridMiddleware:
    """A middleware that is sync or async as the stack around it is: no thread hop under ASGI.

    Subclasses write `_call` and `_acall` (each gets the request and calls `self.get_response`).
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(self.get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self._acall(request)
        return self._call(request)

    def _call(self, request: HttpRequest) -> HttpResponseBase:
        raise NotImplementedError

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        raise NotImplementedError


class RequestIdMiddleware(HybridMiddleware):
    """Takes a safe X-Request-ID from the proxy or makes one; logs and the response carry it."""

    def _call(self, request: HttpRequest) -> HttpResponseBase:
        request_id = _incoming_request_id(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response: HttpResponseBase = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        request_id = _incoming_request_id(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response: HttpResponseBase = await self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class TracingMiddleware(HybridMiddleware):
    """Opens the request's trace (product/core/tracing.py). Nothing is written unless the
    request submitted a job or called a model; a job it submits continues this trace.

    Under OpenTelemetry, Django's instrumentation already made the request's span: the trace
    takes its trace id and the root takes its span id, so both views name the same request.
    """

    def _call(self, request: HttpRequest) -> HttpResponseBase:
        with tracing.begin(**_request_trace(request)) as scope:
            response: HttpResponseBase = self.get_response(request)
            _end_request_trace(scope, request, response)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        with tracing.begin(**_request_trace(request), flush_at_end=False) as scope:
            response: HttpResponseBase = await self.get_response(request)
            _end_request_trace(scope, request, response)
        if scope.kept:
            await sync_to_async(tracing.flush)(scope)
        return response


def _request_trace(request: HttpRequest) -> dict[str, Any]:
    otel_span = otel_trace.get_current_span().get_span_context()
    return {
        "kind": tracing.REQUEST,
        "name": f"{request.method} {request.path}",
        "feature": request.path.strip("/").split("/", 1)[0] or "site",
        "root_span_id": format(otel_span.span_id, "016x") if otel_span.is_valid else "",
        "attributes": {"http.request.method": request.method or "", "url.path": request.path},
    }


def _end_request_trace(
    scope: tracing.TraceScope, request: HttpRequest, response: HttpResponseBase
) -> None:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        scope.name = f"{request.method} /{match.route}"  # the route, not the ids in the path
    if response.status_code >= 500:
        scope.status, scope.error = tracing.ERROR, f"HTTP {response.status_code}"


class ContentSecurityPolicyMiddleware(HybridMiddleware):
    """A strict CSP on every page (no inline script, no remote images), set once here."""

    def _call(self, request: HttpRequest) -> HttpResponseBase:
        return self._add_header(self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        return self._add_header(await self.get_response(request))

    @staticmethod
    def _add_header(response: HttpResponseBase) -> HttpResponseBase:
        policy = settings.CONTENT_SECURITY_POLICY
        if settings.DEBUG and _is_technical_error_page(response):
            policy = DEBUG_ERROR_PAGE_POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


# Django's technical error page (DEBUG only) styles and scripts itself inline; under the strict
# policy it is an unreadable wall of text. It gets inline styles and scripts, and nothing else does.
DEBUG_ERROR_PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def _is_technical_error_page(response: HttpResponseBase) -> bool:
    if response.streaming or response.status_code < 400 or not isinstance(response, HttpResponse):
        return False
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    return b'<div id="traceback">' in response.content


class DebugNotFoundMiddleware(HybridMiddleware):
    """In development, answer a missing page with the product's 404, as production does.

    With DEBUG on, Django shows its technical 404 instead of templates/404.html: the page a
    second user gets when opening someone else's conversation looks broken (the CSP blocks its
    inline styles) and differs from what production shows. 403 and 400 already use the product's
    templates; the technical 500 page stays (with DEBUG_ERROR_PAGE_POLICY). Unresolvable paths
    are answered here, before the view layer; a view's Http404 in process_exception. Last in
    MIDDLEWARE, so that every other middleware (sessions, the CSP, APPEND_SLASH) still applies.
    """

    def _call(self, request: HttpRequest) -> HttpResponseBase:
        missing = self._unresolved(request)
        if missing is not None:
            return self._not_found(request, missing)
        response: HttpResponseBase = self.get_response(request)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        missing = self._unresolved(request)
        if missing is not None:
            # The page reads request.user, which reads the session: database work.
            return await sync_to_async(self._not_found)(request, missing)
        response: HttpResponseBase = await self.get_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404):
            return self._not_found(request, exception)
        return None

    @staticmethod
    def _unresolved(request: HttpRequest) -> Resolver404 | None:
        if not settings.DEBUG:
            return None
        try:
            resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404 as missing:
            return missing
        return None

    @staticmethod
    def _not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
        resolver = get_resolver(getattr(request, "urlconf", None))
        handler: Callable[[HttpRequest, Exception], HttpResponse]
        handler = resolver.resolve_error_handler(404)  # type: ignore[assignment]
        response = handler(request, exception)
        return response


class HtmxMessagesMiddleware(HybridMiddleware):
    """Deliver django messages with htmx fragment responses, as an out-of-band swap into #toasts.

    A full page shows messages through base.html; a fragment (an `hx-post` that re-renders one
    section) has no such place, so the messages would wait for the next full page. Here they are
    appended to the fragment as `<div id="toasts" hx-swap-oob="beforeend">`, which htmx moves
    into the page's toast area. Boosted requests, redirects and non-HTML responses are left alone.
    """

    def _call(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = self.get_response(request)
        if self._wants_toasts(request, response):
            self._append_toasts(request, response)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = await self.get_response(request)
        if self._wants_toasts(request, response):
            # The message storage reads the session: database work, so off the event loop.
            await sync_to_async(self._append_toasts)(request, response)
        return response

    @staticmethod
    def _wants_toasts(request: HttpRequest, response: HttpResponseBase) -> bool:
        htmx = getattr(request, "htmx", None)
        if not htmx or htmx.boosted or response.streaming:
            return False
        if not 200 <= response.status_code < 300 or "HX-Redirect" in response:
            return False
        return response.get("Content-Type", "").startswith("text/html")

    @staticmethod
    def _append_toasts(request: HttpRequest, response: HttpResponseBase) -> None:
        storage = get_messages(request)
        if not len(storage):
            return
        html = render_to_string("includes/_messages.html", {"messages": storage}, request=request)
        assert isinstance(response, HttpResponse)
        response.content += f'<div id="toasts" hx-swap-oob="beforeend">{html}</div>'.encode()


class StaticFilesMiddleware(HybridMiddleware, WhiteNoiseMiddleware):  # type: ignore[misc]
    """WhiteNoise, made async-capable.

    WhiteNoise 6 is sync-only. Under ASGI one sync-only middleware near the top of the stack sends
    every request, the SSE streams included, through Django's single thread-sensitive executor
    thread and back: under load a stream waits behind other requests' sync work before it starts.
    Looking a path up in WhiteNoise's file table is cheap and non-blocking once the files are
    indexed (production), so the async path does it inline.
    """

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        WhiteNoiseMiddleware.__init__(self, get_response)
        HybridMiddleware.__init__(self, get_response)

    def _call(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = WhiteNoiseMiddleware.__call__(self, request)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        static_file = None
        if self.autorefresh:
            # Development finds files on disk: keep that off the event loop, and only for /static/.
            if request.path_info.startswith(self.static_prefix):
                static_file = await sync_to_async(self.find_file, thread_sensitive=False)(
                    request.path_info
                )
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            response: HttpResponseBase = self.serve(static_file, request)
            return response
        passed_on: HttpResponseBase = await self.get_response(request)
        return passed_on
