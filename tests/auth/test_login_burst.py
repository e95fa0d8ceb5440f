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

LOGINS = 128
READS = 32


async def test_a_login_burst_neither_fails_nor_exhausts_a_small_pool(
    settings_for: Callable[..., Settings], test_database: DatabaseUnderTest
) -> None:
    # Production hashing cost and a single connection. Measured here: logins
    # that hash outside their transactions keep every pool wait under 0.3 s; a
    # login that held the connection while hashing made reads wait 2 s, so a 1 s
    # pool timeout turns that design into 500s.
    settings = settings_for(
        test_database.url,
        auth=AuthSettings(),
        database={"pool_size": 1, "max_overflow": 0, "pool_timeout_seconds": 1.0},
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_for(app) as client:
        async with app.state.sessionmaker() as session, session.begin():
            user = await create_user(session, PasswordHasher(settings.auth))
        try:
            logins = [log_in(client, user.email) for _ in range(LOGINS)]
            reads = [client.get("/health/ready") for _ in range(READS)]
            responses = await asyncio.gather(*logins, *reads)
        finally:
            async with app.state.sessionmaker() as session, session.begin():
                await session.execute(delete(LoginFailure).where(LoginFailure.email == user.email))
                await session.execute(delete(User).where(User.id == user.id))

    assert [r.status_code for r in responses] == [200] * (LOGINS + READS)
