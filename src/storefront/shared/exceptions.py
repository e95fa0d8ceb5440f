"""The base of every error the API reports on purpose; domains subclass these."""

from typing import Any, ClassVar


class AppError(Exception):
    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal Server Error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}
        # Extra members of the problem document, e.g. which checks failed.
        self.extensions = extensions or {}


class NotAuthenticatedError(AppError):
    status_code = 401
    code = "not_authenticated"
    title = "Not Authenticated"


class PermissionDeniedError(AppError):
    status_code = 403
    code = "forbidden"
    title = "Forbidden"


class NotFoundError(AppError):
    status_code = 404
    code = "not_found"
    title = "Not Found"


class ConflictError(AppError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class ServiceUnavailableError(AppError):
    status_code = 503
    code = "service_unavailable"
    title = "Service Unavailable"


class PreconditionFailedError(AppError):
    status_code = 412
    code = "precondition_failed"
    title = "Precondition Failed"


class PreconditionRequiredError(AppError):
    status_code = 428
    code = "precondition_required"
    title = "Precondition Required"
