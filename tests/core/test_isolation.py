"""The savepoint-wrapped session: code under test may commit or roll back, and nothing leaks."""

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storefront.users.models import User

SHARED_EMAIL = "isolation@example.com"


async def users_seen_from_outside(engine: AsyncEngine) -> int:
    """What another connection sees: only what was really committed."""
    async with engine.connect() as connection:
        return (await connection.scalar(select(func.count()).select_from(User))) or 0


async def test_a_commit_in_the_code_under_test_stays_inside_the_test(
    probe_client: AsyncClient, session: AsyncSession, engine: AsyncEngine
) -> None:
    response = await probe_client.post("/probe/users/committed@example.com")

    assert response.status_code == 201
    assert await session.scalar(select(User.email)) == "committed@example.com"
    assert await users_seen_from_outside(engine) == 0


async def test_a_rollback_in_the_code_under_test_undoes_only_its_own_work(
    probe_client: AsyncClient, session: AsyncSession
) -> None:
    session.add(User(email="before@example.com", full_name="Before", hashed_password="x"))
    await session.flush()

    response = await probe_client.post("/probe/users/rolled-back@example.com/then-fail")

    assert response.status_code == 409
    emails = set(await session.scalars(select(User.email)))
    assert emails == {"before@example.com"}


async def test_a_failed_commit_is_never_reported_as_a_success(
    probe_client: AsyncClient, session: AsyncSession
) -> None:
    response = await probe_client.post("/probe/users/twice@example.com/twice")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_session_commit_and_rollback_called_directly(
    session: AsyncSession, engine: AsyncEngine
) -> None:
    session.add(User(email="kept@example.com", full_name="Kept", hashed_password="x"))
    await session.commit()
    session.add(User(email="dropped@example.com", full_name="Dropped", hashed_password="x"))
    await session.flush()
    await session.rollback()

    assert set(await session.scalars(select(User.email))) == {"kept@example.com"}
    assert await users_seen_from_outside(engine) == 0


# Each run inserts the same unique email and commits: if either test's rows
# outlived it, whichever runs second would hit the unique index.
@pytest.mark.parametrize("attempt", [1, 2])
async def test_nothing_leaks_between_tests(probe_client: AsyncClient, attempt: int) -> None:
    response = await probe_client.post(f"/probe/users/{SHARED_EMAIL}")

    assert response.status_code == 201, f"attempt {attempt} found a row from another test"
