from storefront.shared.exceptions import AppError, NotAuthenticatedError

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class InvalidCredentialsError(NotAuthenticatedError):
    code = "invalid_credentials"
    title = "Invalid Credentials"

    def __init__(self) -> None:
        super().__init__("The email or password is wrong.", headers=BEARER_CHALLENGE)


class InvalidTokenError(NotAuthenticatedError):
    code = "invalid_token"
    title = "Invalid Token"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class MissingTokenError(NotAuthenticatedError):
    def __init__(self) -> None:
        super().__init__("This endpoint needs a bearer access token.", headers=BEARER_CHALLENGE)


class InvalidRefreshTokenError(NotAuthenticatedError):
    code = "invalid_refresh_token"
    title = "Invalid Refresh Token"

    def __init__(self) -> None:
        super().__init__("The refresh token is unknown, expired or revoked.")


class RefreshTokenReusedError(NotAuthenticatedError):
    code = "refresh_token_reused"
    title = "Refresh Token Reused"

    def __init__(self) -> None:
        super().__init__(
            "This refresh token was already used; every token from its login is now revoked."
        )


class TooManyAttemptsError(AppError):
    status_code = 429
    code = "too_many_attempts"
    title = "Too Many Attempts"

    def __init__(self, retry_after_seconds: int, *, attempts: str = "failed logins") -> None:
        super().__init__(
            f"Too many {attempts}; try again in {retry_after_seconds} seconds.",
            headers={"Retry-After": str(retry_after_seconds)},
        )


class InvalidResetTokenError(AppError):
    status_code = 400
    code = "invalid_reset_token"
    title = "Invalid Reset Token"

    def __init__(self) -> None:
        super().__init__(
            "This password-reset link is unknown, expired, already used or superseded by a"
            " newer one; request a new one."
        )
