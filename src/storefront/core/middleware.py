"""Plain ASGI middleware (no per-request task or body buffering): request id, access log,
the last-resort 500, and security headers."""

import logging
import re
import time
import uuid

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storefront.core import metrics
from storefront.core.errors import (
    REQUEST_ID_HEADER,
    payload_too_large_response,
    unexpected_error_response,
)
from storefront.core.logging import request_id_var

access_logger = logging.getLogger("storefront.access")

# Reuse a caller's id only when it is short and cannot smuggle anything into logs.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


# Response headers are added as raw ASGI pairs: Starlette's MutableHeaders parses
# and rewrites the list on every change (task bench: x1.03 on GET /products/{id}).
_RAW_ID = REQUEST_ID_HEADER.lower().encode()


def request_id_from(headers: Headers) -> str:
    incoming = headers.get(REQUEST_ID_HEADER, "")
    return incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, route_templates: dict[int, str] | None) -> None:
        """With `route_templates` (see `metrics.route_of`), requests are counted in metrics."""
        self.app = app
        self.route_templates = route_templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = request_id_from(Headers(scope=scope))
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status: int | None = None  # set once the response has started

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (_RAW_ID, request_id.encode())]
            await send(message)

        if self.route_templates is not None:
            metrics.HTTP_IN_FLIGHT.inc()
        try:
            try:
                await self.app(scope, receive, send_with_request_id)
            except Exception as exc:
                if status is not None:  # too late for a problem document
                    raise
                # Rendered here rather than by Starlette's outermost error
                # middleware, so the 500 still passes through the middleware
                # outside this one (security headers, CORS) and gets its request id.
                response = unexpected_error_response(Request(scope), exc)
                await response(scope, receive, send_with_request_id)
        finally:
            seconds = time.perf_counter() - started
            if self.route_templates is not None:
                metrics.HTTP_IN_FLIGHT.dec()
                route = metrics.route_of(scope, self.route_templates)
                metrics.record_request(scope["method"], route, status, seconds)
            duration_ms = round(seconds * 1000, 1)
            access_logger.info(
                "%s %s %s %.1fms",
                scope["method"],
                scope["path"],
                status,
                duration_ms,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )
            request_id_var.reset(token)


class BodySizeLimitMiddleware:
    """Refuses request bodies over `max_bytes` with 413, before parsing and before
    authentication: a declared Content-Length at once, without reading the body;
    a streamed body as soon as it passes the limit.

    (Starlette's limiter checks only when the endpoint reads the body, after
    dependencies such as authentication ran, and answers in plain text otherwise.)
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await payload_too_large_response(Request(scope), self.max_bytes)(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # FastAPI re-raises HTTPExceptions from body reading; the problem
                # handler renders it like any other 413.
                raise HTTPException(413, f"The request body exceeds {self.max_bytes} bytes.")
            return message

        await self.app(scope, receive_within_limit, send)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# Production is served over HTTPS (behind its proxy): browsers must never fall back.
STRICT_TRANSPORT_SECURITY = {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}


class SecurityHeadersMiddleware:
    """Headers every response carries. Responses are not cacheable unless the
    route says otherwise, so tokens and personal data never land in a cache."""

    def __init__(self, app: ASGIApp, *, strict_transport: bool) -> None:
        self.app = app
        named = SECURITY_HEADERS | (STRICT_TRANSPORT_SECURITY if strict_transport else {})
        self.headers = [(name.lower().encode(), value.encode()) for name, value in named.items()]
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() not in self.names]
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers + self.headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
