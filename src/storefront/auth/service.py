"""Logins, token rotation and throttling.

`log_in` and `rotate_refresh_token` open their own units of work: a failed login
and a reused refresh token must be recorded even though the response is an
error, and no connection may be held while a password is being hashed.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth import throttling
from storefront.auth.exceptions import (
    InvalidCredentialsError,
    InvalidRefreshTokenError,
    RefreshTokenReusedError,
    TooManyAttemptsError,
)
from storefront.auth.models import RefreshToken
from storefront.auth.passwords import PasswordHasher
from storefront.auth.tokens import create_access_token, new_opaque_token, opaque_token_digest
from storefront.core import metrics
from storefront.core.config import Settings
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
    refresh_token = new_opaque_token()
    session.add(
        RefreshToken(
            token_hash=opaque_token_digest(refresh_token),
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
    """Check the password and issue tokens; the same work and answer for any wrong input.

    `email` is as `normalize_email` makes it. The attempt is counted before the
    password is checked (see `throttling`), in a transaction of its own, so it
    stays counted whatever happens next, and no connection is held while hashing.
    """
    now = datetime.now(UTC)
    try:
        async with (
            throttling.admission(email=email, client_address=client_address),
            transactions() as session,
        ):
            user = await users_service.find_user_by_email(session, email)
            await throttling.reserve_attempt(
                session,
                email=email,
                user_id=user.id if user else None,
                client_address=client_address,
                now=now,
                settings=settings.auth,
            )
    except TooManyAttemptsError:
        metrics.LOGINS.labels("throttled").inc()
        raise

    valid, upgraded_hash = await hasher.verify(password, user.hashed_password if user else None)
    if user is None or not valid or not user.is_active:
        metrics.LOGINS.labels("failure").inc()
        raise InvalidCredentialsError  # the reserved attempt stands as the failure

    async with transactions() as session:
        await throttling.record_success(
            session, email=email, user_id=user.id, client_address=client_address, now=now
        )
        if upgraded_hash is not None:
            await users_service.update_user(session, user.id, hashed_password=upgraded_hash)
        tokens = await issue_tokens(session, user, family_id=uuid7(), now=now, settings=settings)
    metrics.LOGINS.labels("success").inc()
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
            .where(RefreshToken.token_hash == opaque_token_digest(refresh_token))
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
            RefreshToken.token_hash == opaque_token_digest(refresh_token)
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
    """End the logins matching `conditions`: their refresh tokens at once, and their
    access tokens too (the caller's read checks logins that ended after issue)."""
    user_ids = await session.scalars(
        update(RefreshToken)
        .where(*conditions, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(RefreshToken.user_id)
    )
    for user_id in set(user_ids):
        await users_service.note_sessions_revoked(session, user_id, at=now)
