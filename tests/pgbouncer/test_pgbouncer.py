"""The API's main flows through a real PgBouncer in transaction mode (`task pgbouncer-test`),
with DATABASE_PGBOUNCER=true: every transaction may land on another server connection."""

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import URL, make_url

from storefront.auth.passwords import PasswordHasher
from storefront.core.database import create_engine, create_sessionmaker, transaction
from storefront.core.main import create_app
from storefront.users.models import UserRole
from tests.conftest import DatabaseUnderTest, client_for, free_port, make_settings
from tests.factories import bearer, create_user, log_in_tokens
from tests.fault_proxy import fault_proxy

pytestmark = pytest.mark.pgbouncer

SERVER_CONNECTIONS = 3  # fewer than the app's pool: transactions must share them


@pytest.fixture
async def database_url(test_database: DatabaseUnderTest) -> str:
    return await test_database.copy("pgbouncer")


def write_config(server: URL, port: int) -> Path:
    """PgBouncer's files, in a directory of their own: PgBouncer refuses to run as
    root, so as root it runs as nobody, who cannot reach pytest's tmp_path."""
    directory = Path(tempfile.mkdtemp(prefix="storefront-pgbouncer-"))
    directory.chmod(0o777)
    (directory / "users.txt").write_text(f'"{server.username}" ""\n')
    password = f" password={server.password}" if server.password else ""
    config = directory / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"storefront = host=127.0.0.1 port={server.port} dbname={server.database}"
        f" user={server.username}{password}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {directory / 'users.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {SERVER_CONNECTIONS}\n"
        f"max_client_conn = 200\nlogfile = {directory / 'pgbouncer.log'}\n"
    )
    config.chmod(0o644)
    return directory


@pytest.fixture
async def pgbouncer(database_url: str) -> AsyncIterator[str]:
    """PgBouncer (Debian's package) in transaction mode in front of a database of this
    test's own; the URL to reach that database through it."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.access(binary, os.X_OK):
        pytest.fail("pgbouncer is not installed: apt-get install pgbouncer (as root)")
    async with fault_proxy(database_url) as upstream:  # TCP in front of any server
        port = free_port()
        directory = write_config(make_url(upstream.url), port)
        as_nobody = ["-u", "nobody"] if os.getuid() == 0 else []
        config = directory / "pgbouncer.ini"
        process = await asyncio.create_subprocess_exec(binary, *as_nobody, str(config))
        url = f"postgresql://{make_url(upstream.url).username}@127.0.0.1:{port}/storefront"
        try:
            for _ in range(100):
                try:
                    connection = await asyncpg.connect(url, statement_cache_size=0)
                except OSError:
                    await asyncio.sleep(0.05)
                else:
                    await connection.close()
                    break
            yield url
        finally:
            if process.returncode is None:
                process.terminate()
            await process.wait()
            shutil.rmtree(directory)


@pytest.fixture
async def bouncer_app(pgbouncer: str) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(pgbouncer, database={"pgbouncer": True}))
    async with app.router.lifespan_context(app):
        yield app


async def test_the_main_flows_work_through_pgbouncer_in_transaction_mode(
    bouncer_app: FastAPI, database_url: str, hasher: PasswordHasher
) -> None:
    settings = make_settings(database_url)
    engine = create_engine(database_url, settings.database)
    async with transaction(create_sessionmaker(engine)) as session:
        admin = await create_user(session, hasher, role=UserRole.ADMIN)
    await engine.dispose()

    async with client_for(bouncer_app) as client:
        registered = await client.post(
            "/api/v1/auth/register",
            json={"email": "ada@example.com", "password": "Correct-Horse-42", "full_name": "Ada"},
        )
        assert registered.status_code == 201
        customer = bearer((await log_in_tokens(client, "ada@example.com"))["access_token"])
        staff = bearer((await log_in_tokens(client, admin.email))["access_token"])
        assert (await client.get("/api/v1/users/me", headers=customer)).status_code == 200

        created = await client.post(
            "/api/v1/products",
            json={"sku": "LAST-1", "name": "Last ones", "price_cents": 500, "stock": 3},
            headers=staff,
        )
        assert created.status_code == 201
        product = created.json()
        assert (await client.get(f"/api/v1/products/{product['id']}")).status_code == 200
        listed = await client.get("/api/v1/products", params={"limit": 5})
        assert [item["id"] for item in listed.json()["items"]] == [product["id"]]

        order = {"items": [{"product_id": product["id"], "quantity": 1}]}
        placed = await client.post(
            "/api/v1/orders", json=order, headers=customer | {"Idempotency-Key": "first"}
        )
        assert placed.status_code == 201
        order_url = f"/api/v1/orders/{placed.json()['id']}"
        assert (await client.get(order_url, headers=customer)).json() == placed.json()
        cancelled = await client.post(f"{order_url}/cancel", headers=customer)
        assert cancelled.json()["status"] == "cancelled"
        listed_orders = await client.get("/api/v1/orders", headers=customer)
        assert [item["id"] for item in listed_orders.json()["items"]] == [placed.json()["id"]]

        # Ten customers' worth of orders at once for the last three units.
        racing = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/orders", json=order, headers=customer | {"Idempotency-Key": f"r{n}"}
                )
                for n in range(10)
            )
        )
        assert sorted(response.status_code for response in racing) == [201] * 3 + [409] * 7
        stock = (await client.get(f"/api/v1/products/{product['id']}")).json()["stock"]
        assert stock == 0
