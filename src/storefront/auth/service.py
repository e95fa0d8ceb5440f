"""Logins, token rotation and throttling.

`log_in` and `rotate_refresh_token` open their own units of work: a failed login
and a reused refresh token must be recorded even though the response is an
error, and no connection may be held while a password is being hashed.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.exceptions import (
    InvalidCredentialsError,
    InvalidRefreshTokenError,
    RefreshTokenReusedError,
    TooManyAttemptsError,
)
from storefront.auth.models import LoginFailure, RefreshToken
from storefront.auth.passwords import PasswordHasher
from storefront.auth.tokens import create_access_token, new_refresh_token, refresh_token_digest
from storefront.core.config import AuthSettings, Settings
from storefront.core.database import TransactionFactory
from storefront.shared.ids import uuid7
from storefront.users import service as users_service
from storefront.users.models import User


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds until the access token expires


async def issue_tokens(
    session: AsyncSession, user: User, *, family_id: uuid.UUID, now: datetime, settings: Settings
) -> TokenPair:
    lifetime = timedelta(minutes=settings.auth.access_token_minutes)
    refresh_token = new_refresh_token()
    session.add(
        RefreshToken(
            token_hash=refresh_token_digest(refresh_token),
            family_id=family_id,
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(days=settings.auth.refresh_token_days),
        )
    )
    await session.flush()
    access_token = create_access_token(
        user_id=user.id,
        role=user.role.value,
        family_id=family_id,
        secret=settings.secret_key.get_secret_value(),
        now=now,
        lifetime=lifetime,
    )
    return TokenPair(access_token, refresh_token, int(lifetime.total_seconds()))


async def log_in(
    transactions: TransactionFactory,
    hasher: PasswordHasher,
    settings: Settings,
    *,
    email: str,
    password: str,
    client_address: str,
) -> TokenPair:
    """Check the password and issue tokens; the same work and answer for any wrong input."""
    now = datetime.now(UTC)
    async with transactions() as session:
        retry_after = await throttled_for(
            session, email=email, client_address=client_address, now=now, settings=settings.auth
        )
        if retry_after is not None:
            raise TooManyAttemptsError(retry_after)
        user = await users_service.find_user_by_email(session, email)

    valid, upgraded_hash = await hasher.verify(password, user.hashed_password if user else None)

    async with transactions() as session:
        if user is None or not valid or not user.is_active:
            await record_failure(
                session, email=email, client_address=client_address, now=now, settings=settings.auth
            )
            tokens = None
        else:
            await clear_failures(session, email=email)
            if upgraded_hash is not None:
                await users_service.update_user(session, user.id, hashed_password=upgraded_hash)
            tokens = await issue_tokens(
                session, user, family_id=uuid7(), now=now, settings=settings
            )
    if tokens is None:  # raised only now, so the failure above is committed
        raise InvalidCredentialsError
    return tokens


async def rotate_refresh_token(
    transactions: TransactionFactory, settings: Settings, *, refresh_token: str
) -> TokenPair:
    """Exchange a refresh token for a new pair; a second use revokes the whole family."""
    now = datetime.now(UTC)
    async with transactions() as session:
        # The row lock makes concurrent uses of one token take turns: one
        # rotates it, the others see it rotated and count as reuse.
        token = await session.scalar(
            select(RefreshToken)
            .where(RefreshToken.token_hash == refresh_token_digest(refresh_token))
            .with_for_update()
        )
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            raise InvalidRefreshTokenError
        if token.rotated_at is not None:
            await revoke_families(session, RefreshToken.family_id == token.family_id, now=now)
            tokens = None
        else:
            user = await users_service.find_user(session, token.user_id)
            if user is None or not user.is_active:
                raise InvalidRefreshTokenError
            token.rotated_at = now
            tokens = await issue_tokens(
                session, user, family_id=token.family_id, now=now, settings=settings
            )
    if tokens is None:  # raised only now, so the revocation above is committed
        raise RefreshTokenReusedError
    return tokens


async def log_out(session: AsyncSession, *, refresh_token: str) -> None:
    """Revoke the family of `refresh_token`; unknown tokens are ignored, as logging out twice is."""
    family_id = await session.scalar(
        select(RefreshToken.family_id).where(
            RefreshToken.token_hash == refresh_token_digest(refresh_token)
        )
    )
    if family_id is not None:
        await revoke_families(session, RefreshToken.family_id == family_id, now=datetime.now(UTC))


async def revoke_other_families(
    session: AsyncSession, *, user_id: uuid.UUID, keep_family_id: uuid.UUID
) -> None:
    """Log the user out everywhere except the login `keep_family_id`."""
    await revoke_families(
        session,
        RefreshToken.user_id == user_id,
        RefreshToken.family_id != keep_family_id,
        now=datetime.now(UTC),
    )


async def revoke_families(
    session: AsyncSession, *conditions: ColumnElement[bool], now: datetime
) -> None:
    await session.execute(
        update(RefreshToken)
        .where(*conditions, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def throttled_for(
    session: AsyncSession,
    *,
    email: str,
    client_address: str,
    now: datetime,
    settings: AuthSettings,
) -> int | None:
    """Seconds until another attempt is allowed, or None when it is allowed now."""
    window = timedelta(minutes=settings.throttle_window_minutes)
    waits = [
        await _wait_for(session, LoginFailure.email == email, settings.max_failures_per_account),
        await _wait_for(
            session,
            LoginFailure.client_address == client_address,
            settings.max_failures_per_address,
        ),
    ]
    # The attempt is allowed again once the limit-th most recent failure leaves the window.
    blocking = [failed_at for failed_at in waits if failed_at and failed_at > now - window]
    if not blocking:
        return None
    return max(1, math.ceil((max(blocking) + window - now).total_seconds()))


async def _wait_for(session: AsyncSession, key: ColumnElement[bool], limit: int) -> datetime | None:
    """When the limit-th most recent failure for `key` happened, if there were that many."""
    return await session.scalar(
        select(LoginFailure.failed_at)
        .where(key)
        .order_by(LoginFailure.failed_at.desc())
        .offset(limit - 1)
        .limit(1)
    )


async def record_failure(
    session: AsyncSession, *, email: str, client_address: str, now: datetime, settings: AuthSettings
) -> None:
    # Failures that left the window no longer count: drop this email's and address's.
    await session.execute(
        delete(LoginFailure).where(
            or_(LoginFailure.email == email, LoginFailure.client_address == client_address),
            LoginFailure.failed_at <= now - timedelta(minutes=settings.throttle_window_minutes),
        )
    )
    session.add(LoginFailure(email=email, client_address=client_address, failed_at=now))
    await session.flush()


async def clear_failures(session: AsyncSession, *, email: str) -> None:
    await session.execute(delete(LoginFailure).where(LoginFailure.email == email))
