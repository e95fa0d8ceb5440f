"""A burst of logins on a real pool: hashing must never hold a database connection."""

import asyncio
from collections.abc import Callable

from sqlalchemy import delete

from storefront.auth.models import LoginFailure
from storefront.auth.passwords import PasswordHasher
from storefront.core.config import AuthSettings, Settings
from storefront.core.main import create_app
from storefront.users.models import User
from tests.conftest import DatabaseUnderTest, client_for
from tests.factories import create_user, log_in

LOGINS = 96


async def test_a_login_burst_neither_fails_nor_exhausts_a_small_pool(
    settings_for: Callable[..., Settings], test_database: DatabaseUnderTest
) -> None:
    # Production hashing cost, two connections and a short pool timeout: if a
    # login held its connection while hashing, the burst would queue on the pool
    # for ~LOGINS / 2 x 17 ms and most requests would time out into 500s.
    settings = settings_for(
        test_database.url,
        auth=AuthSettings(),
        database={"pool_size": 2, "max_overflow": 0, "pool_timeout_seconds": 0.5},
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_for(app) as client:
        async with app.state.sessionmaker() as session, session.begin():
            user = await create_user(session, PasswordHasher(settings.auth))
        try:
            logins = [log_in(client, user.email) for _ in range(LOGINS)]
            reads = [client.get("/health/ready") for _ in range(LOGINS)]
            responses = await asyncio.gather(*logins, *reads)
        finally:
            async with app.state.sessionmaker() as session, session.begin():
                await session.execute(delete(LoginFailure).where(LoginFailure.email == user.email))
                await session.execute(delete(User).where(User.id == user.id))

    assert [r.status_code for r in responses] == [200] * (2 * LOGINS)
