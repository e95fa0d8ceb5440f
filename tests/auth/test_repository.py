from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.models import RefreshToken
from storefront.auth.passwords import PasswordHasher
from storefront.auth.repository import fetch_caller
from storefront.auth.tokens import AccessClaims
from storefront.shared.ids import uuid7
from storefront.users.models import User, UserRole
from tests.factories import create_user

NOW = datetime.now(UTC)


def claims_for(user: User, *, family: RefreshToken | None = None) -> AccessClaims:
    return AccessClaims(
        user_id=user.id,
        role=user.role.value,
        family_id=family.family_id if family else uuid7(),
        token_id="t",
        issued_at=NOW.timestamp(),
        expires_at=(NOW + timedelta(minutes=15)).timestamp(),
    )


async def add_login(session: AsyncSession, user: User) -> RefreshToken:
    token = RefreshToken(
        token_hash=uuid7().bytes * 2,
        family_id=uuid7(),
        user_id=user.id,
        created_at=NOW,
        expires_at=NOW + timedelta(days=1),
    )
    session.add(token)
    await session.flush()
    return token


async def test_fetch_caller_agrees_with_the_orm(
    session: AsyncSession, hasher: PasswordHasher, raw_connection: Any
) -> None:
    user = await create_user(session, hasher, role=UserRole.ADMIN)

    account = await fetch_caller(raw_connection, claims_for(user))

    assert account is not None
    assert (account.id, account.email, account.full_name, account.role) == (
        user.id,
        user.email,
        user.full_name,
        UserRole.ADMIN,
    )
    assert (account.is_active, account.hashed_password) == (True, user.hashed_password)
    assert account.created_at == user.created_at


async def test_no_caller_for_an_unknown_or_inactive_account(
    session: AsyncSession, hasher: PasswordHasher, raw_connection: Any
) -> None:
    inactive = await create_user(session, hasher, is_active=False)
    unknown = User(id=uuid7(), role=UserRole.CUSTOMER)

    assert await fetch_caller(raw_connection, claims_for(inactive)) is None
    assert await fetch_caller(raw_connection, claims_for(unknown)) is None


async def test_no_caller_once_the_tokens_login_ended_after_it_was_issued(
    session: AsyncSession, hasher: PasswordHasher, raw_connection: Any
) -> None:
    user = await create_user(session, hasher)
    ended, other = await add_login(session, user), await add_login(session, user)
    later = NOW + timedelta(seconds=1)
    await session.execute(
        update(RefreshToken).where(RefreshToken.id == ended.id).values(revoked_at=later)
    )
    await session.execute(update(User).where(User.id == user.id).values(sessions_revoked_at=later))

    assert await fetch_caller(raw_connection, claims_for(user, family=ended)) is None
    assert await fetch_caller(raw_connection, claims_for(user, family=other)) is not None
