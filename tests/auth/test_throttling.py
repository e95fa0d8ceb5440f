from datetime import UTC, datetime, timedelta

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.models import LoginFailure
from storefront.users.models import User
from tests.factories import log_in

WRONG = "Wrong-Password-1"
TEST_CLIENT_ADDRESS = "127.0.0.1"  # what httpx's ASGI transport reports


async def add_failures(
    session: AsyncSession, count: int, *, ago: timedelta, email: str, address: str = "10.0.0.9"
) -> None:
    failed_at = datetime.now(UTC) - ago
    session.add_all(
        LoginFailure(email=email, client_address=address, failed_at=failed_at) for _ in range(count)
    )
    await session.flush()


async def test_after_five_failures_even_the_right_password_gets_429(
    client: AsyncClient, customer: User
) -> None:
    for _ in range(5):
        assert (await log_in(client, customer.email, WRONG)).status_code == 401

    response = await log_in(client, customer.email)

    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"
    assert 1 <= int(response.headers["retry-after"]) <= 15 * 60


async def test_failures_older_than_the_window_do_not_count(
    client: AsyncClient, session: AsyncSession, customer: User
) -> None:
    await add_failures(session, 5, ago=timedelta(minutes=15, seconds=5), email=customer.email)

    assert (await log_in(client, customer.email)).status_code == 200


async def test_retry_after_tells_when_the_window_moves_past_the_fifth_failure(
    client: AsyncClient, session: AsyncSession, customer: User
) -> None:
    await add_failures(session, 4, ago=timedelta(minutes=10), email=customer.email)
    await add_failures(session, 1, ago=timedelta(minutes=14), email=customer.email)

    response = await log_in(client, customer.email)

    assert response.status_code == 429
    assert 55 <= int(response.headers["retry-after"]) <= 61


async def test_a_success_clears_the_account_counter(client: AsyncClient, customer: User) -> None:
    for _ in range(4):
        await log_in(client, customer.email, WRONG)
    assert (await log_in(client, customer.email)).status_code == 200

    for _ in range(4):
        await log_in(client, customer.email, WRONG)
    assert (await log_in(client, customer.email)).status_code == 200


async def test_twenty_failures_from_one_address_block_every_account_from_it(
    client: AsyncClient, session: AsyncSession, customer: User
) -> None:
    await add_failures(
        session,
        20,
        ago=timedelta(minutes=1),
        email="someone-else@example.com",
        address=TEST_CLIENT_ADDRESS,
    )

    response = await log_in(client, customer.email)

    assert response.status_code == 429


async def test_the_account_counter_ignores_the_case_of_the_email(
    client: AsyncClient, customer: User
) -> None:
    for email in ("Customer@example.com", "CUSTOMER@EXAMPLE.COM", "customer@Example.com") * 2:
        await log_in(client, email, WRONG)

    assert (await log_in(client, customer.email)).status_code == 429
