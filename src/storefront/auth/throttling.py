"""Login throttling, in PostgreSQL so every app process shares it.

An attempt is counted *before* its password is checked: `reserve_attempt` records it
as a failure under per-email and per-address advisory locks, so of any number of
concurrent attempts at most the limit get their password checked, and the rest get
429. A successful login removes the account's failures, its own included.

Owners are protected from lock-out by strangers: at an address the owner logged in
from within `known_address_days`, the account counter counts only that address's
failures. Failures elsewhere still lock the account everywhere else.
"""

import asyncio
import math
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storefront.auth.exceptions import TooManyAttemptsError
from storefront.auth.models import KnownLoginAddress, LoginFailure, PasswordResetRequest
from storefront.core.config import AuthSettings
from storefront.core.database import advisory_lock_key


def _lock_keys(email: str, client_address: str) -> list[int]:
    """The advisory lock keys of an attempt, in the one order every attempt takes them."""
    return sorted(
        {
            advisory_lock_key(f"storefront.login.{kind}:{value}")
            for kind, value in (("email", email), ("address", client_address))
        }
    )


# In-process queues in front of the advisory locks. Attempts for the same email or
# address wait here, holding no database connection, so a flood of them cannot
# take the whole pool while waiting for each other (task bench's login storm
# did: reads timed out); the database lock is then only contended between processes.
_queues: "weakref.WeakValueDictionary[int, asyncio.Lock]" = weakref.WeakValueDictionary()


@asynccontextmanager
async def admission(*, email: str, client_address: str) -> AsyncIterator[None]:
    """Wait for this process's other attempts for the same email or address; wrap the
    transaction that calls `reserve_attempt` in it."""
    async with AsyncExitStack() as stack:
        for key in _lock_keys(email, client_address):
            queue = _queues.get(key)
            if queue is None:
                queue = _queues[key] = asyncio.Lock()
            await stack.enter_async_context(queue)
        yield


async def reserve_attempt(
    session: AsyncSession,
    *,
    email: str,
    user_id: uuid.UUID | None,
    client_address: str,
    now: datetime,
    settings: AuthSettings,
) -> None:
    """Count this attempt as a failure now, or raise TooManyAttemptsError.

    The locks make concurrent attempts for the same email or address take turns
    until the caller's transaction ends; every caller takes them in the same
    order, so two attempts never wait for each other in a cycle.
    """
    for key in _lock_keys(email, client_address):
        await session.execute(select(func.pg_advisory_xact_lock(key)))
    window = timedelta(minutes=settings.throttle_window_minutes)
    window_start = now - window
    at_known_address = user_id is not None and await _is_known(
        session, user_id, client_address, since=now - timedelta(days=settings.known_address_days)
    )
    account = LoginFailure.email == email
    if at_known_address:
        account = and_(account, LoginFailure.client_address == client_address)
    await _refuse_past_limits(
        session,
        LoginFailure.failed_at,
        [
            (account, settings.max_failures_per_account),
            (LoginFailure.client_address == client_address, settings.max_failures_per_address),
        ],
        now=now,
        window=window,
        attempts="failed logins",
    )
    # Failures that left the window no longer count: drop this email's and address's.
    await session.execute(
        delete(LoginFailure).where(
            or_(LoginFailure.email == email, LoginFailure.client_address == client_address),
            LoginFailure.failed_at <= window_start,
        )
    )
    session.add(LoginFailure(email=email, client_address=client_address, failed_at=now))
    await session.flush()


async def record_success(
    session: AsyncSession, *, email: str, user_id: uuid.UUID, client_address: str, now: datetime
) -> None:
    """Clear the account's failures (this attempt's too) and remember the address."""
    await session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    await session.execute(
        insert(KnownLoginAddress)
        .values(user_id=user_id, client_address=client_address, last_success_at=now)
        .on_conflict_do_update(
            index_elements=[KnownLoginAddress.user_id, KnownLoginAddress.client_address],
            set_={"last_success_at": now},
        )
    )


async def _is_known(
    session: AsyncSession, user_id: uuid.UUID, client_address: str, *, since: datetime
) -> bool:
    found = await session.scalar(
        select(true()).where(
            KnownLoginAddress.user_id == user_id,
            KnownLoginAddress.client_address == client_address,
            KnownLoginAddress.last_success_at > since,
        )
    )
    return bool(found)


async def reserve_reset_request(
    session: AsyncSession, *, email: str, client_address: str, now: datetime, settings: AuthSettings
) -> None:
    """Count a password-reset request, or raise TooManyAttemptsError: the same for
    known and unknown emails, so the answer tells nothing about the account."""
    await _refuse_past_limits(
        session,
        PasswordResetRequest.requested_at,
        [
            (PasswordResetRequest.email == email, settings.max_reset_requests_per_account),
            (
                PasswordResetRequest.client_address == client_address,
                settings.max_reset_requests_per_address,
            ),
        ],
        now=now,
        window=timedelta(minutes=settings.throttle_window_minutes),
        attempts="password-reset requests",
    )
    session.add(PasswordResetRequest(email=email, client_address=client_address, requested_at=now))
    await session.flush()


async def _refuse_past_limits(
    session: AsyncSession,
    at: InstrumentedAttribute[datetime],
    limits: list[tuple[ColumnElement[bool], int]],
    *,
    now: datetime,
    window: timedelta,
    attempts: str,
) -> None:
    """Raise TooManyAttemptsError while any key (attempts matching it) has had its limit
    of attempts (timed by `at`) within the window; allowed again once the limit-th
    most recent one has left it."""
    blocking = []
    for key, limit in limits:
        limit_reached_at = await session.scalar(
            select(at).where(key).order_by(at.desc()).offset(limit - 1).limit(1)
        )
        if limit_reached_at is not None and limit_reached_at > now - window:
            blocking.append(limit_reached_at)
    if blocking:
        retry_after = max(1, math.ceil((max(blocking) + window - now).total_seconds()))
        raise TooManyAttemptsError(retry_after, attempts=attempts)
