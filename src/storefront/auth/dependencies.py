"""Who is calling: `CurrentUser` and `AdminUser`, for any domain's routes."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from storefront.auth import repository
from storefront.auth.exceptions import InvalidTokenError, MissingTokenError
from storefront.auth.passwords import PasswordHasher
from storefront.auth.tokens import AccessClaims, decode_access_token
from storefront.core.config import API_PREFIX, AppSettings
from storefront.core.database import RawConnections
from storefront.shared.exceptions import PermissionDeniedError
from storefront.users.models import UserRole
from storefront.users.repository import Account

# auto_error=False: a missing token is reported as our own problem document.
bearer_token = OAuth2PasswordBearer(tokenUrl=f"{API_PREFIX}/auth/token", auto_error=False)


async def get_access_claims(
    token: Annotated[str | None, Depends(bearer_token)], settings: AppSettings
) -> AccessClaims:
    if token is None:
        raise MissingTokenError
    return decode_access_token(token, settings.secret_key.get_secret_value())


AccessTokenClaims = Annotated[AccessClaims, Depends(get_access_claims)]


async def get_current_user(claims: AccessTokenClaims, connections: RawConnections) -> Account:
    """The caller's account, read afresh on every request so deactivation, role changes
    and ended logins (logout, password change) apply at once. Its connection is back in
    the pool before the endpoint runs, and it is a plain value, not an ORM object a
    unit of work could change."""
    async with connections() as connection:
        account = await repository.fetch_caller(connection, claims)
    if account is None:
        raise InvalidTokenError("The login of this token has ended, or its account is inactive.")
    return account


CurrentUser = Annotated[Account, Depends(get_current_user)]


async def get_optional_user(
    token: Annotated[str | None, Depends(bearer_token)],
    settings: AppSettings,
    connections: RawConnections,
) -> Account | None:
    """The caller's account when a token is sent (it must be valid), else None."""
    if token is None:
        return None
    claims = decode_access_token(token, settings.secret_key.get_secret_value())
    return await get_current_user(claims, connections)


OptionalUser = Annotated[Account | None, Depends(get_optional_user)]


async def require_admin(user: CurrentUser) -> Account:
    if user.role is not UserRole.ADMIN:
        raise PermissionDeniedError("Only admins may do this.")
    return user


AdminUser = Annotated[Account, Depends(require_admin)]


async def get_password_hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.password_hasher
    return hasher


Hasher = Annotated[PasswordHasher, Depends(get_password_hasher)]
