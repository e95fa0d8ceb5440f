"""The database failing, for real: down, dropping connections, or stalled. Every request
gets a 503 problem with Retry-After within the configured timeouts, never a 500 or a
hang, and the app recovers by itself once the database is back."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response

from storefront.core.config import Settings
from storefront.core.main import create_app
from storefront.shared.ids import format_typeid, uuid7
from storefront.users.models import User
from tests.conftest import DatabaseUnderTest, client_for
from tests.factories import bearer, log_in_tokens
from tests.fault_proxy import FaultProxy, fault_proxy

READ_POOL_SIZE = 2
TIMEOUTS = {
    "pool_size": 2,
    "read_pool_size": READ_POOL_SIZE,
    "pool_timeout_seconds": 0.5,
    "connect_timeout_seconds": 0.5,
    "statement_timeout_seconds": 0.5,
    "ready_timeout_seconds": 0.5,
}
# Pool wait + connect + statement (plus the client's margin over the server's
# statement_timeout), and slack for a busy test machine.
WORST_CASE_SECONDS = 0.5 + 0.5 + 1.0 + 1.5
# Hand-written reads (one row, a listing), an ORM read in autocommit (your orders)
# and a unit of work; all but the last as a logged-in customer.
NORMAL = {"raw read": 404, "raw listing": 200, "ORM read": 200, "transaction": 401}


@pytest.fixture
async def proxy(test_database: DatabaseUnderTest) -> AsyncIterator[FaultProxy]:
    async with fault_proxy(test_database.url) as proxy:
        yield proxy


@pytest.fixture
async def api(
    proxy: FaultProxy, settings_for: Callable[..., Settings], committed_customer: User
) -> AsyncIterator[AsyncClient]:
    app: FastAPI = create_app(settings_for(proxy.url, database=TIMEOUTS))
    async with app.router.lifespan_context(app), client_for(app) as client:
        client.headers.update(
            bearer((await log_in_tokens(client, committed_customer.email))["access_token"])
        )
        yield client


async def call(client: AsyncClient, kind: str) -> Response:
    if kind == "raw read":
        return await client.get(f"/api/v1/products/{format_typeid('prod', uuid7())}")
    if kind == "raw listing":
        return await client.get("/api/v1/products")
    if kind == "ORM read":
        return await client.get("/api/v1/orders")
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": "unknown"})


async def all_kinds(client: AsyncClient) -> dict[str, int]:
    return {kind: (await call(client, kind)).status_code for kind in NORMAL}


def assert_unavailable(response: Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "database_unavailable"
    assert response.headers["retry-after"] == "5"


async def test_a_database_that_is_down_is_a_503_and_the_app_recovers(
    api: AsyncClient, proxy: FaultProxy
) -> None:
    assert await all_kinds(api) == NORMAL

    await proxy.refuse()
    for kind in NORMAL:
        assert_unavailable(await call(api, kind))
    assert (await api.get("/health/ready")).status_code == 503

    await proxy.recover()
    assert await all_kinds(api) == NORMAL
    assert (await api.get("/health/ready")).status_code == 200


@pytest.mark.parametrize("kind", ["raw listing", "ORM read"])
async def test_lost_connections_are_a_503_and_then_replaced(
    api: AsyncClient, proxy: FaultProxy, kind: str
) -> None:
    # Both pooled connections in use at once, so both exist when they are cut.
    await asyncio.gather(call(api, kind), call(api, kind))

    proxy.drop()
    statuses = [(await call(api, kind)).status_code for _ in range(4)]

    assert statuses[0] == 503
    assert set(statuses) <= {503, 200}
    assert statuses[-1] == 200  # the dead connections were discarded, not reused


async def test_a_stalled_database_is_a_503_within_the_timeouts(
    api: AsyncClient, proxy: FaultProxy
) -> None:
    assert await all_kinds(api) == NORMAL

    proxy.stall()
    started = time.perf_counter()
    # More requests than connections: some wait for the pool, some for a statement.
    responses = await asyncio.gather(*(call(api, kind) for kind in NORMAL for _ in range(3)))
    elapsed = time.perf_counter() - started
    ready_started = time.perf_counter()
    ready = await api.get("/health/ready")
    ready_elapsed = time.perf_counter() - ready_started

    for response in responses:
        assert_unavailable(response)
    assert elapsed < WORST_CASE_SECONDS
    assert ready.status_code == 503
    assert ready_elapsed < TIMEOUTS["ready_timeout_seconds"] + 0.5

    await proxy.recover()
    assert await all_kinds(api) == NORMAL


async def test_a_busy_read_pool_is_a_503_after_the_pool_timeout(
    proxy: FaultProxy, settings_for: Callable[..., Settings]
) -> None:
    app: FastAPI = create_app(settings_for(proxy.url, database=TIMEOUTS))
    async with app.router.lifespan_context(app), client_for(app) as client:
        read_pool = app.state.read_pool
        held = [await read_pool.acquire() for _ in range(READ_POOL_SIZE)]
        started = time.perf_counter()
        response = await call(client, "raw read")
        elapsed = time.perf_counter() - started
        for connection in held:
            await read_pool.release(connection)

        assert_unavailable(response)
        assert TIMEOUTS["pool_timeout_seconds"] <= elapsed < WORST_CASE_SECONDS
        assert (await call(client, "raw read")).status_code == NORMAL["raw read"]


@pytest.mark.parametrize("kind", ["raw listing", "transaction"])
async def test_a_database_slow_to_accept_a_connection_is_waited_for_up_to_the_connect_timeout(
    proxy: FaultProxy, settings_for: Callable[..., Settings], kind: str
) -> None:
    # The pool timeout bounds waiting for a free connection, not opening one.
    patient = TIMEOUTS | {"pool_timeout_seconds": 0.1, "connect_timeout_seconds": 3.0}
    app: FastAPI = create_app(settings_for(proxy.url, database=patient))
    async with app.router.lifespan_context(app), client_for(app) as client:
        proxy.stall()
        started = time.perf_counter()
        slow = asyncio.ensure_future(call(client, kind))
        await asyncio.sleep(0.5)
        await proxy.recover()
        response = await slow
        elapsed = time.perf_counter() - started

    assert response.status_code == NORMAL[kind]
    assert elapsed >= 0.5  # it did wait for the database
