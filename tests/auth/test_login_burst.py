"""A burst of logins on a one-connection pool: hashing never holds a database connection."""

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, event

from storefront.auth.models import LoginFailure
from storefront.auth.passwords import PasswordHasher
from storefront.core.config import AuthSettings, Settings
from storefront.core.main import create_app
from storefront.users.models import User
from tests.conftest import DatabaseUnderTest, client_for
from tests.factories import create_user, log_in

ACCOUNTS = 8
LOGINS_EACH = 4  # under the account limit: concurrent logins each hold a reservation
READS = 16


class WatchfulHasher(PasswordHasher):
    """Notes every hash started by a task that holds one of the pool's connections."""

    def __init__(self, settings: AuthSettings, holders: dict[int, Any]) -> None:
        super().__init__(settings)
        self.holders = holders
        self.hashed_while_holding = 0

    async def verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        if asyncio.current_task() in self.holders.values():
            self.hashed_while_holding += 1
        return await super().verify(password, hashed)


async def test_a_login_burst_never_hashes_while_holding_a_connection(
    settings_for: Callable[..., Settings], test_database: DatabaseUnderTest
) -> None:
    settings = settings_for(
        test_database.url,
        # Production hashing cost; one address sends the whole burst.
        auth=AuthSettings(max_failures_per_address=1000),
        database={"pool_size": 1, "max_overflow": 0, "pool_timeout_seconds": 10.0},
    )
    app = create_app(settings)
    holders: dict[int, Any] = {}  # pooled connection -> the task that checked it out
    hasher = WatchfulHasher(settings.auth, holders)
    app.state.password_hasher = hasher
    async with app.router.lifespan_context(app), client_for(app) as client:
        pool_events = app.state.engine.sync_engine

        @event.listens_for(pool_events, "checkout")
        def checked_out(connection: Any, record: Any, proxy: Any) -> None:
            holders[id(connection)] = asyncio.current_task()

        @event.listens_for(pool_events, "checkin")
        def checked_in(connection: Any, record: Any) -> None:
            holders.pop(id(connection), None)

        async with app.state.sessionmaker() as session, session.begin():
            users = [await create_user(session, hasher) for _ in range(ACCOUNTS)]
        try:
            logins = [log_in(client, user.email) for user in users for _ in range(LOGINS_EACH)]
            reads = [client.get("/health/ready") for _ in range(READS)]
            responses = await asyncio.gather(*logins, *reads)
        finally:
            emails = [user.email for user in users]
            async with app.state.sessionmaker() as session, session.begin():
                await session.execute(delete(LoginFailure).where(LoginFailure.email.in_(emails)))
                await session.execute(delete(User).where(User.email.in_(emails)))

    assert [r.status_code for r in responses] == [200] * (ACCOUNTS * LOGINS_EACH + READS)
    assert hasher.hashed_while_holding == 0


async def test_a_flood_of_logins_for_one_account_leaves_connections_for_everyone_else(
    settings_for: Callable[..., Settings], test_database: DatabaseUnderTest
) -> None:
    # Attempts for one account take turns; waiting their turn must not hold a
    # connection, or a flood of them takes the pool and every other request 503s.
    settings = settings_for(
        test_database.url,
        auth=AuthSettings(
            argon2_time_cost=1, argon2_memory_kib=8192, max_failures_per_account=1000
        ),
        database={"pool_size": 3, "max_overflow": 0, "pool_timeout_seconds": 0.5},
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_for(app) as client:
        async with app.state.sessionmaker() as session, session.begin():
            user = await create_user(session, PasswordHasher(settings.auth))
        try:
            logins = [log_in(client, user.email) for _ in range(100)]
            reads = [client.get("/api/v1/products") for _ in range(30)]
            responses = await asyncio.gather(*logins, *reads)
        finally:
            async with app.state.sessionmaker() as session, session.begin():
                await session.execute(delete(LoginFailure).where(LoginFailure.email == user.email))
                await session.execute(delete(User).where(User.id == user.id))

    assert {r.status_code for r in responses} == {200}
