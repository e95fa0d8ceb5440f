import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.models import LoginFailure
from storefront.auth.passwords import PasswordHasher
from storefront.core.config import Settings
from storefront.core.main import create_app
from storefront.users.models import User
from tests.conftest import DatabaseUnderTest, client_for
from tests.factories import PASSWORD, log_in

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


async def test_concurrent_guesses_get_at_most_the_limit_of_password_checks(
    app: FastAPI, committed_customer: User
) -> None:
    # Real, concurrent units of work: no shared test session serialises them.
    async with client_for(app) as client:
        guesses = await asyncio.gather(
            *(log_in(client, committed_customer.email, WRONG) for _ in range(50))
        )
        after = await log_in(client, committed_customer.email)

    statuses = Counter(response.status_code for response in guesses)
    assert statuses == {401: 5, 429: 45}
    assert all(
        int(response.headers["retry-after"]) >= 1
        for response in guesses
        if response.status_code == 429
    )
    assert after.status_code == 429


@pytest.fixture
async def proxied_client(
    settings_for: Callable[..., Settings],
    test_database: DatabaseUnderTest,
    session: AsyncSession,
) -> AsyncIterator[AsyncClient]:
    """A client whose requests arrive through a trusted proxy (the test transport's
    127.0.0.1), so X-Forwarded-For says which address each comes from."""
    settings = settings_for(test_database.url, forwarded_allow_ips=["127.0.0.1"])
    app = create_app(settings)
    app.state.password_hasher = PasswordHasher(settings.auth)
    async with app.router.lifespan_context(app), client_for(app, session) as client:
        yield client


def from_address(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def login_status(
    client: AsyncClient, user: User, address: str, password: str = PASSWORD
) -> int:
    response = await log_in(client, user.email, password, headers=from_address(address))
    return response.status_code


async def test_strangers_cannot_lock_the_owner_out_where_the_owner_logs_in(
    proxied_client: AsyncClient, customer: User
) -> None:
    home, stranger, elsewhere = "203.0.113.10", "198.51.100.66", "192.0.2.99"
    assert await login_status(proxied_client, customer, home) == 200

    for _ in range(6):
        await login_status(proxied_client, customer, stranger, WRONG)

    assert await login_status(proxied_client, customer, stranger) == 429
    assert await login_status(proxied_client, customer, elsewhere) == 429
    assert await login_status(proxied_client, customer, home) == 200


async def test_the_owner_is_still_throttled_at_a_known_address(
    proxied_client: AsyncClient, customer: User
) -> None:
    home = "203.0.113.10"
    assert await login_status(proxied_client, customer, home) == 200

    for _ in range(5):
        await login_status(proxied_client, customer, home, WRONG)

    assert await login_status(proxied_client, customer, home) == 429


async def test_a_forged_forwarded_for_does_not_change_the_address_without_a_trusted_proxy(
    client: AsyncClient,
) -> None:
    # Twenty failures for twenty accounts, each claiming another address.
    for number in range(20):
        response = await log_in(
            client, f"nobody-{number}@example.com", WRONG, headers=from_address(f"10.1.0.{number}")
        )
        assert response.status_code == 401

    blocked = await log_in(client, "someone@example.com", WRONG, headers=from_address("10.9.9.9"))

    assert blocked.status_code == 429


@pytest.mark.parametrize("garbage", ["x" * 100, "1.2.3.4, " + "9" * 80, "<script>"])
async def test_garbage_forwarded_for_is_ignored_even_from_a_trusted_proxy(
    proxied_client: AsyncClient, customer: User, session: AsyncSession, garbage: str
) -> None:
    response = await log_in(proxied_client, customer.email, WRONG, headers=from_address(garbage))

    assert response.status_code == 401
    recorded = await session.scalars(
        select(LoginFailure.client_address).where(LoginFailure.email == customer.email)
    )
    assert list(recorded) == ["127.0.0.1"]
