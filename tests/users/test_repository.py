from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.passwords import PasswordHasher
from storefront.shared.ids import uuid7
from storefront.users.models import UserRole
from storefront.users.repository import fetch_account
from tests.factories import create_user


async def test_fetch_account_agrees_with_the_orm(
    session: AsyncSession, hasher: PasswordHasher, raw_connection: Any
) -> None:
    user = await create_user(session, hasher, role=UserRole.ADMIN, is_active=False)

    account = await fetch_account(raw_connection, user.id)

    assert account is not None
    assert (account.id, account.email, account.full_name, account.role) == (
        user.id,
        user.email,
        user.full_name,
        UserRole.ADMIN,
    )
    assert (account.is_active, account.hashed_password) == (False, user.hashed_password)
    assert account.created_at == user.created_at
    assert await fetch_account(raw_connection, uuid7()) is None
