import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, update

from storefront.auth.models import (
    LoginFailure,
    PasswordResetRequest,
    PasswordResetToken,
    RefreshToken,
)
from storefront.auth.tokens import new_opaque_token, opaque_token_digest
from storefront.jobs.service import JobContext, job
from storefront.mail import service as mail
from storefront.shared.purge import purge
from storefront.users import service as users_service

logger = logging.getLogger("storefront.auth")


@job("auth.send_password_reset")
async def send_password_reset(context: JobContext, *, email: str, request_id: uuid.UUID) -> None:
    """Mail a known, active account a reset link; older links stop working."""
    session, settings = context.session, context.settings
    user = await users_service.find_user_by_email(session, email)
    if user is None or not user.is_active:
        return
    key = f"password-reset:{request_id}"
    # A run after the mail went out must not supersede the token it carries.
    if not await mail.claim(session, key=key, recipient=user.email):
        return
    now = datetime.now(UTC)
    await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.ended_at.is_(None))
        .values(ended_at=now)
    )
    token = new_opaque_token()
    session.add(
        PasswordResetToken(
            token_hash=opaque_token_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.password_reset_token_minutes),
        )
    )
    await session.flush()
    message = mail.compose(
        settings.smtp,
        to=user.email,
        key=key,
        package=__package__ or "storefront.auth",
        template="password_reset",
        name=user.full_name,
        link=f"{settings.password_reset_url}?token={token}",
        minutes=settings.password_reset_token_minutes,
    )
    await mail.send(settings.smtp, message)


@job("auth.purge_login_attempts")
async def purge_login_attempts(context: JobContext) -> None:
    """Delete failed logins and password-reset requests outside the throttle window."""
    window_start = func.now() - timedelta(minutes=context.settings.auth.throttle_window_minutes)
    limit = context.settings.jobs.purge_batch_size
    failures = await purge(
        context.session, LoginFailure, LoginFailure.failed_at <= window_start, limit=limit
    )
    requests = await purge(
        context.session,
        PasswordResetRequest,
        PasswordResetRequest.requested_at <= window_start,
        limit=limit,
    )
    logger.info(
        "purged login attempts",
        extra={"login_failures": failures, "password_reset_requests": requests},
    )


@job("auth.purge_refresh_tokens")
async def purge_refresh_tokens(context: JobContext) -> None:
    """Delete refresh tokens expired or revoked more than the retention period ago."""
    cutoff = func.now() - timedelta(days=context.settings.auth.refresh_token_retention_days)
    deleted = await purge(
        context.session,
        RefreshToken,
        or_(RefreshToken.expires_at <= cutoff, RefreshToken.revoked_at <= cutoff),
        limit=context.settings.jobs.purge_batch_size,
    )
    logger.info("purged refresh tokens", extra={"deleted": deleted})


@job("auth.purge_password_reset_tokens")
async def purge_password_reset_tokens(context: JobContext) -> None:
    """Delete password-reset tokens that were used, superseded or have expired."""
    deleted = await purge(
        context.session,
        PasswordResetToken,
        or_(PasswordResetToken.ended_at.is_not(None), PasswordResetToken.expires_at <= func.now()),
        limit=context.settings.jobs.purge_batch_size,
    )
    logger.info("purged password-reset tokens", extra={"deleted": deleted})
