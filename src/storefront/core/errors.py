"""One renderer for every error response: RFC 9457 `application/problem+json`."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from storefront.core.database import database_unavailable
from storefront.shared.exceptions import AppError, ServiceUnavailableError
from storefront.shared.schemas import drop_null

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"

# Stable codes for errors raised by the framework itself rather than by us.
HTTP_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class FieldError(BaseModel):
    location: list[str | int]
    message: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    request_id: str | None
    errors: list[FieldError] | None = None


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> ProblemResponse:
    request_id: str | None = getattr(request.state, "request_id", None)
    body = {
        "type": f"urn:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id,
        **(extensions or {}),
    }
    return ProblemResponse(body, status_code=status, headers=headers)


async def app_error_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, AppError)
    return app_error_response(request, exc)


def app_error_response(request: Request, exc: AppError) -> ProblemResponse:
    return problem_response(
        request,
        status=exc.status_code,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def validation_error_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(location=list(error["loc"]), message=error["msg"], type=error["type"])
        for error in exc.errors()
    ]
    return problem_response(
        request,
        status=422,
        code="validation_failed",
        title="Unprocessable Content",
        detail=f"The request has {len(errors)} invalid field(s).",
        extensions={"errors": [error.model_dump() for error in errors]},
    )


async def http_error_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and exc.__cause__ is not None:
        # FastAPI could not decode the body (not UTF-8, say): the same problem as
        # malformed JSON, so clients handle one kind of unreadable body.
        unreadable = RequestValidationError(
            [{"loc": ("body",), "msg": "The body could not be decoded", "type": "body_unreadable"}]
        )
        return await validation_error_handler(request, unreadable)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the first matching route's methods.
        headers["Allow"] = ", ".join(allowed_methods(request))
    phrase = HTTPStatus(exc.status_code).phrase
    return problem_response(
        request,
        status=exc.status_code,
        code=HTTP_STATUS_CODES.get(exc.status_code, f"http_{exc.status_code}"),
        title=phrase,
        detail=exc.detail if isinstance(exc.detail, str) else phrase,
        headers=headers,
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path."""
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        route_methods = getattr(context.original_route, "methods", None)
        if context.path and route_methods:
            path_regex, _, _ = compile_path(context.path)
            if path_regex.match(request.url.path):
                methods |= route_methods
    return sorted(methods)


def payload_too_large_response(request: Request, max_bytes: int) -> ProblemResponse:
    return problem_response(
        request,
        status=413,
        code=HTTP_STATUS_CODES[413],
        title=HTTPStatus(413).phrase,
        detail=f"The request body exceeds {max_bytes} bytes.",
        # The unread body stays on the connection, so it cannot serve another request.
        headers={"Connection": "close"},
    )


class DatabaseUnavailableError(ServiceUnavailableError):
    code = "database_unavailable"
    title = "Database Unavailable"

    def __init__(self) -> None:
        super().__init__(
            "The database is not answering; nothing was changed. Try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


# What a client should wait before retrying after the database failed it.
RETRY_AFTER_SECONDS = 5


def unexpected_error_response(request: Request, exc: Exception) -> ProblemResponse:
    """The response for an exception no handler claimed: 503 when the database failed
    us (down, stalled, out of connections), otherwise a 500, which is always a bug."""
    if database_unavailable(exc):
        logger.warning("Database unavailable: %r", exc)
        return app_error_response(request, DatabaseUnavailableError())
    logger.error("Unhandled error", exc_info=exc)
    return problem_response(
        request,
        status=500,
        code="internal_error",
        title="Internal Server Error",
        detail="An unexpected error occurred. Quote the request id when reporting it.",
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)


# Marks a header parameter that `finish_openapi` documents as required.
_DOCUMENTED_REQUIRED = "x-documented-required"


def required_header(description: str) -> Any:
    """`Header(...)` for a header the endpoint requires but whose absence a dependency
    reports with its own problem (400, 428): optional to FastAPI, so the dependency
    decides, and required in the OpenAPI document, which is what clients read."""
    return Header(description=description, json_schema_extra={_DOCUMENTED_REQUIRED: True})


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for a route's errors; `finish_openapi` gives them their schema."""
    return {status: {"description": HTTPStatus(status).phrase} for status in statuses}


def finish_openapi(app: FastAPI) -> None:
    """Make the OpenAPI document describe every error response as a `Problem`, each
    route's docstring its summary, and `required_header`s required."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}), Problem=problem)
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        problem_content = {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
        for path in schema["paths"].values():
            for operation in path.values():
                # The docstring's first line is the summary, the rest its description.
                summary, _, description = operation.pop("description", "").partition("\n")
                if summary:
                    operation["summary"] = summary
                if description.strip():
                    operation["description"] = description.strip()
                for parameter in operation.get("parameters", []):
                    if parameter["schema"].pop(_DOCUMENTED_REQUIRED, False):
                        parameter["required"] = True
                        drop_null(parameter["schema"])
                for status, response in operation["responses"].items():
                    if status.isdigit() and int(status) >= 400:
                        response["content"] = problem_content
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
