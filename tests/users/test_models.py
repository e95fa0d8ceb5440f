import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.users import service as users_service
from storefront.users.exceptions import EmailTakenError
from storefront.users.models import User, UserRole


def a_user(email: str = "ada@example.com") -> User:
    return User(email=email, full_name="Ada Lovelace", hashed_password="hash")


async def test_a_new_user_gets_defaults_from_the_app_and_the_database(
    session: AsyncSession,
) -> None:
    user = a_user()
    session.add(user)
    await session.flush()
    await session.refresh(user)

    assert user.id.version == 7
    assert user.role is UserRole.CUSTOMER
    assert user.is_active is True
    assert user.created_at.tzinfo is not None
    assert user.updated_at == user.created_at


async def test_the_database_keeps_emails_unique(session: AsyncSession) -> None:
    session.add(a_user("ada@example.com"))
    await session.flush()
    session.add(a_user("ada@example.com"))

    with pytest.raises(IntegrityError, match="uq_users_email"):
        await session.flush()


async def test_emails_are_stored_normalised_so_case_variants_collide(
    session: AsyncSession,
) -> None:
    created = await users_service.create_user(
        session, email=" Ada@Example.COM", full_name="Ada", hashed_password="hash"
    )

    assert created.email == "ada@example.com"
    with pytest.raises(EmailTakenError):
        await users_service.create_user(
            session, email="ADA@example.com", full_name="Ada", hashed_password="hash"
        )


async def test_the_database_refuses_an_unknown_role(session: AsyncSession) -> None:
    with pytest.raises(IntegrityError, match="ck_users_role"):
        await session.execute(
            text(
                "INSERT INTO users (id, email, full_name, hashed_password, role)"
                " VALUES (gen_random_uuid(), 'x@example.com', 'X', 'h', 'superuser')"
            )
        )


async def test_ids_sort_in_creation_order(session: AsyncSession) -> None:
    users = [a_user(f"user{n}@example.com") for n in range(5)]
    for user in users:
        session.add(user)
        await session.flush()

    assert sorted(user.id for user in users) == [user.id for user in users]
