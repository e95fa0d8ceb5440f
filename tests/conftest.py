"""Test database, app, and the savepoint-isolated session shared by the API and the test.

The PostgreSQL server comes from, in order: `TEST_DATABASE_URL`; testcontainers when
a Docker engine answers; an embedded server in a temporary directory. A fresh
`storefront_test` database is created on it and migrated with Atlas once per run.
"""

import asyncio
import contextlib
import email.policy
import os
import socket
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from scripts.atlas import atlas_environment, run_atlas
from scripts.container import docker_answers
from storefront.auth.models import LoginFailure
from storefront.auth.passwords import PasswordHasher
from storefront.core.config import AuthSettings, DatabaseSettings, Settings, SmtpSettings
from storefront.core.database import (
    ConnectionFactory,
    TransactionFactory,
    create_database,
    get_raw_connections,
    get_read_transactions,
    get_transactions,
    transaction,
    unit_of_work,
)
from storefront.core.embedded import start_embedded_server, stop_embedded_server
from storefront.core.main import create_app
from storefront.users.models import User, UserRole
from tests.factories import bearer, create_user, log_in_tokens

REPO_ROOT = Path(__file__).resolve().parent.parent
# Under pytest-xdist each worker has databases of its own (a shared TEST_DATABASE_URL
# server holds every worker's).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def database_name(purpose: str) -> str:
    return f"storefront_{purpose}_{WORKER}"


@dataclass(frozen=True)
class DatabaseUnderTest:
    url: str
    dev_url: str  # an empty database on the same server, for Atlas to plan in
    template: str  # a migrated database to copy: `copy()` makes one in milliseconds
    source: str

    async def copy(self, purpose: str) -> str:
        """A fresh, migrated database of its own, for code that commits; its URL."""
        return await create_database(
            self.url, database_name(purpose), replace=True, template=self.template
        )


test_database_key = pytest.StashKey[DatabaseUnderTest]()
_configured: pytest.Config | None = None
exit_stack_key = pytest.StashKey[contextlib.ExitStack]()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(stack: contextlib.ExitStack) -> tuple[str, str]:
    """A server URL and a description of where it came from."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        return url, "TEST_DATABASE_URL"
    if docker_answers():
        from testcontainers.postgres import PostgresContainer

        container = stack.enter_context(PostgresContainer("postgres:18-alpine", driver=None))
        return container.get_connection_url(), "testcontainers (postgres:18-alpine)"
    data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="storefront-pg-")))
    url = start_embedded_server(data_dir)
    stack.callback(stop_embedded_server, data_dir)  # runs before the directory is removed
    return url, f"embedded PostgreSQL 18 ({data_dir})"


def runs_tests(config: pytest.Config) -> bool:
    """False in pytest-xdist's controller, which only hands tests to its workers."""
    return hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None)


def pytest_configure(config: pytest.Config) -> None:
    if not runs_tests(config):
        return
    stack = contextlib.ExitStack()
    config.stash[exit_stack_key] = stack
    server_url, source = start_server(stack)
    # Migrated once by Atlas, then copied: for the tests' database and any test's own.
    template_url = asyncio.run(create_database(server_url, database_name("template"), replace=True))
    dev_url = asyncio.run(create_database(server_url, database_name("atlas_dev"), replace=True))
    applied = run_atlas(
        ["migrate", "apply"], atlas_environment(template_url, dev_url), capture=True
    )
    if applied.returncode != 0:
        raise pytest.UsageError(f"Applying migrations to the test database failed:\n{applied}")
    template = database_name("template")
    url = asyncio.run(
        create_database(server_url, database_name("test"), replace=True, template=template)
    )
    config.stash[test_database_key] = DatabaseUnderTest(
        url=url, dev_url=dev_url, template=template, source=source
    )
    global _configured
    _configured = config


def collected_test_database() -> DatabaseUnderTest:
    """The test database, for modules that need it while they are collected."""
    assert _configured is not None, "no test database in this process (an xdist controller?)"
    return _configured.stash[test_database_key]


def pytest_unconfigure(config: pytest.Config) -> None:
    if exit_stack_key in config.stash:
        config.stash[exit_stack_key].close()


def pytest_report_header(config: pytest.Config) -> str:
    if test_database_key not in config.stash:
        return "test database: one per pytest-xdist worker"
    return f"test database: {config.stash[test_database_key].source}"


@pytest.fixture(scope="session")
def test_database(pytestconfig: pytest.Config) -> DatabaseUnderTest:
    return pytestconfig.stash[test_database_key]


def make_settings(
    database_url: str, *, database: dict[str, object] | None = None, **overrides: object
) -> Settings:
    """Settings for an app under test, ignoring the developer's environment and .env."""
    defaults: dict[str, object] = {
        "environment": "test",
        "secret_key": SecretStr("test-secret-" + "0123456789abcdef" * 4),
        "migrations_dir": REPO_ROOT / "migrations",
        # The cheapest Argon2id parameters it accepts: tests hash a lot.
        "auth": AuthSettings(argon2_time_cost=1, argon2_memory_kib=8192),
        "database": DatabaseSettings.model_validate({"url": database_url, **(database or {})}),
        # Nothing listens there: a test that mails starts an SMTP server and says so.
        "smtp": SmtpSettings(host="127.0.0.1", port=9, security="none", timeout_seconds=1),
    }
    return Settings(_env_file=None, **(defaults | overrides))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(test_database: DatabaseUnderTest) -> Settings:
    return make_settings(test_database.url)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
def engine(app: FastAPI) -> AsyncEngine:
    engine: AsyncEngine = app.state.engine
    return engine


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is always rolled back.

    `create_savepoint` turns the code under test's commit and rollback into
    RELEASE and ROLLBACK TO SAVEPOINT, so nothing outlives the test.
    """
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


def use_session(app: FastAPI, session: AsyncSession) -> None:
    """Run every unit of work `app` opens on `session`; commits and rollbacks become savepoints."""

    @contextlib.asynccontextmanager
    async def test_transaction() -> AsyncIterator[AsyncSession]:
        # What the test set up counts as committed before the request, as it
        # would be in production, so the request's rollback cannot undo it.
        await session.commit()
        # Nothing the test loaded may stand in for what the request must load itself.
        session.expunge_all()
        async with unit_of_work(session):
            yield session

    async def test_transactions() -> TransactionFactory:
        return test_transaction

    @contextlib.asynccontextmanager
    async def test_raw_connection() -> AsyncIterator[Any]:
        await session.commit()  # as above: the test's setup is committed first
        connection = await session.connection()
        yield (await connection.get_raw_connection()).driver_connection

    async def test_raw_connections() -> ConnectionFactory:
        return test_raw_connection

    app.dependency_overrides[get_transactions] = test_transactions
    app.dependency_overrides[get_read_transactions] = test_transactions
    app.dependency_overrides[get_raw_connections] = test_raw_connections


@contextlib.asynccontextmanager
async def client_for(
    app: FastAPI, session: AsyncSession | None = None
) -> AsyncIterator[AsyncClient]:
    """An HTTP client for `app`, serving every request from `session` when one is given."""
    if session is not None:
        use_session(app, session)
    # Unexpected exceptions become the 500 response a real client would see.
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
async def client(app: FastAPI, session: AsyncSession) -> AsyncIterator[AsyncClient]:
    async with client_for(app, session) as client:
        yield client


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def settings_for() -> Callable[..., Settings]:
    """Build settings for a second app under test, e.g. one whose database is unreachable."""
    return make_settings


@pytest.fixture(scope="session")
def hasher(app: FastAPI) -> PasswordHasher:
    password_hasher: PasswordHasher = app.state.password_hasher
    return password_hasher


@pytest.fixture
async def customer(session: AsyncSession, hasher: PasswordHasher) -> User:
    return await create_user(session, hasher, email="customer@example.com")


@pytest.fixture
async def admin(session: AsyncSession, hasher: PasswordHasher) -> User:
    return await create_user(session, hasher, email="admin@example.com", role=UserRole.ADMIN)


@pytest.fixture
async def customer_headers(client: AsyncClient, customer: User) -> dict[str, str]:
    return bearer((await log_in_tokens(client, customer.email))["access_token"])


@pytest.fixture
async def admin_headers(client: AsyncClient, admin: User) -> dict[str, str]:
    return bearer((await log_in_tokens(client, admin.email))["access_token"])


@pytest.fixture
async def committed_customer(app: FastAPI, hasher: PasswordHasher) -> AsyncIterator[User]:
    """A customer really committed, for tests that run requests on real concurrent
    units of work (`client_for(app)` with no session); removed afterwards."""
    async with transaction(app.state.sessionmaker) as session:
        user = await create_user(session, hasher)
    yield user
    async with transaction(app.state.sessionmaker) as session:
        await session.execute(delete(LoginFailure).where(LoginFailure.email == user.email))
        await session.execute(delete(User).where(User.id == user.id))  # tokens cascade


class RecordingSmtpHandler:
    """Keeps every mail the SMTP server accepts. With `hold` set, a mail's recipient is
    not answered until `release`, so the sender waits before sending any content."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.hold = threading.Event()
        self.release = threading.Event()
        self.holding = threading.Event()  # set once a sender waits in `hold`

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.hold.is_set():
            self.holding.set()
            await asyncio.to_thread(self.release.wait)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = BytesParser(policy=email.policy.default).parsebytes(envelope.content)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


@dataclass(frozen=True)
class SmtpServer:
    handler: RecordingSmtpHandler
    settings: SmtpSettings

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free local port, in a thread of its own."""
    handler = RecordingSmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(
            handler,
            SmtpSettings(
                host="127.0.0.1",
                port=controller.port,
                security="none",
                from_address="Storefront Test <shop@example.com>",
                timeout_seconds=5,
            ),
        )
    finally:
        handler.release.set()
        controller.stop()


@pytest.fixture
async def raw_connection(session: AsyncSession) -> Any:
    """The driver connection under the test's session: sees what the test has flushed."""
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection
