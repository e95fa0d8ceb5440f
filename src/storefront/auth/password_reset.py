"""Password reset by mail.

A request does the same work for every email, known or not (throttle, record, queue
a job), so neither the answer nor its timing tells whether an account exists. The
job looks the account up and mails a link only to a known, active one.
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth import throttling
from storefront.auth.exceptions import InvalidResetTokenError
from storefront.auth.jobs import send_password_reset
from storefront.auth.models import PasswordResetToken, RefreshToken
from storefront.auth.service import revoke_families
from storefront.auth.tokens import opaque_token_digest
from storefront.core.config import Settings
from storefront.users import service as users_service
from storefront.users.models import User


async def request_password_reset(
    session: AsyncSession, settings: Settings, *, email: str, client_address: str
) -> None:
    """Queue a reset mail for `email` (normalised); raises TooManyAttemptsError."""
    await throttling.reserve_reset_request(
        session,
        email=email,
        client_address=client_address,
        now=datetime.now(UTC),
        settings=settings.auth,
    )
    await send_password_reset.enqueue(session, email=email, request_id=uuid.uuid4())


async def find_reset_account(
    session: AsyncSession, *, token: str
) -> tuple[PasswordResetToken, User]:
    """The unused, current token `token` and its account, locked; else InvalidResetTokenError."""
    reset_token = await session.scalar(
        select(PasswordResetToken)
        .where(
            PasswordResetToken.token_hash == opaque_token_digest(token),
            PasswordResetToken.ended_at.is_(None),
            PasswordResetToken.expires_at > datetime.now(UTC),
        )
        .with_for_update()
    )
    if reset_token is None:
        raise InvalidResetTokenError
    user = await users_service.find_user(session, reset_token.user_id)
    if user is None or not user.is_active:
        raise InvalidResetTokenError
    return reset_token, user


async def reset_password(
    session: AsyncSession, reset_token: PasswordResetToken, *, hashed_password: str
) -> None:
    """Set the new password, use the token up, and end every session of the account."""
    now = datetime.now(UTC)
    reset_token.ended_at = now
    await users_service.update_user(session, reset_token.user_id, hashed_password=hashed_password)
    await revoke_families(session, RefreshToken.user_id == reset_token.user_id, now=now)
    # Access tokens too, even of logins whose refresh tokens had ended already.
    await users_service.note_sessions_revoked(session, reset_token.user_id, at=now)
