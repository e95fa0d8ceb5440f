"""`storefront serve`, run as production runs it: a real process, real signals."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from storefront.core.database import plain_url
from tests.conftest import DatabaseUnderTest, free_port
from tests.fault_proxy import fault_proxy

# uvicorn re-raises the signal once it has shut down cleanly.
CLEAN_EXITS = (0, -signal.SIGTERM)
Process = asyncio.subprocess.Process


@pytest.fixture
async def start_server(repo_root: Path, tmp_path: Path) -> AsyncIterator[Callable[..., object]]:
    """Start `storefront serve` with these settings; wait until it answers."""
    processes: list[Process] = []

    async def start(**settings: str) -> tuple[Process, str]:
        port = free_port()
        env = {
            **os.environ,
            "ENVIRONMENT": "test",
            "SECRET_KEY": "serve-test-secret-" + "0123456789" * 4,
            "MIGRATIONS_DIR": str(repo_root / "migrations"),
            "SERVER_PORT": str(port),
            **settings,
        }
        log = tmp_path / f"server-{port}.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                *[sys.executable, "-m", "storefront.cli", "serve"],
                env=env,
                cwd=tmp_path,  # no developer .env
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        base_url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base_url) as client:
            for _ in range(200):
                try:
                    if (await client.get("/health/live")).status_code == 200:
                        return process, base_url
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        raise AssertionError(f"the server did not start: {log.read_text()}")

    yield start
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def exit_code_within(process: Process, seconds: float) -> int | None:
    try:
        return await asyncio.wait_for(process.wait(), seconds)
    except TimeoutError:
        return None


async def test_sigterm_lets_requests_in_flight_finish(
    start_server: Callable[..., object], test_database: DatabaseUnderTest
) -> None:
    # Expensive hashing keeps registrations in flight long enough to signal mid-way.
    process, base_url = await start_server(  # type: ignore[misc]
        DATABASE_URL=test_database.url, AUTH_ARGON2_TIME_COST="8", AUTH_ARGON2_MEMORY_KIB="65536"
    )
    emails = [f"sigterm-{n}-{os.getpid()}@example.com" for n in range(8)]
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            registrations = [
                asyncio.ensure_future(
                    client.post(
                        "/api/v1/auth/register",
                        json={"email": email, "password": "Correct-Horse-42", "full_name": "S"},
                    )
                )
                for email in emails
            ]
            await asyncio.sleep(0.3)
            process.send_signal(signal.SIGTERM)
            responses = await asyncio.gather(*registrations)
        exit_code = await exit_code_within(process, 10)
    finally:
        connection = await asyncpg.connect(plain_url(test_database.url))
        await connection.execute("DELETE FROM users WHERE email = ANY($1)", emails)
        await connection.close()

    assert [response.status_code for response in responses] == [201] * len(emails)
    assert all("server" not in response.headers for response in responses)
    assert exit_code in CLEAN_EXITS


async def test_a_hung_request_cannot_keep_a_stopped_server_alive(
    start_server: Callable[..., object], test_database: DatabaseUnderTest
) -> None:
    async with fault_proxy(test_database.url) as proxy:
        process, base_url = await start_server(  # type: ignore[misc]
            DATABASE_URL=proxy.url,
            DATABASE_STATEMENT_TIMEOUT_SECONDS="30",
            SERVER_SHUTDOWN_TIMEOUT_SECONDS="1",
        )
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            assert (await client.get("/api/v1/products")).status_code == 200
            proxy.stall()
            hung = asyncio.ensure_future(client.get("/api/v1/products"))
            await asyncio.sleep(0.3)
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            exit_code = await exit_code_within(process, 15)
            stopped_after = time.monotonic() - signalled
            await asyncio.gather(hung, return_exceptions=True)

    assert exit_code is not None
    # The shutdown timeout (1 s) plus closing the pool (bounded too), far from 30 s.
    assert stopped_after < 10


def worker_processes(supervisor: Process) -> list[str]:
    children = Path(f"/proc/{supervisor.pid}/task/{supervisor.pid}/children").read_text().split()
    return [
        child
        for child in children
        if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text(errors="replace")
    ]


def running(pid: str) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # an exited child not yet reaped is not running


async def test_web_concurrency_starts_that_many_workers_and_sigterm_stops_them_all(
    start_server: Callable[..., object], test_database: DatabaseUnderTest
) -> None:
    process, base_url = await start_server(  # type: ignore[misc]
        DATABASE_URL=test_database.url, WEB_CONCURRENCY="2"
    )
    workers = worker_processes(process)
    async with httpx.AsyncClient(base_url=base_url) as client:
        answered = [(await client.get("/health/ready")).status_code for _ in range(4)]

    process.send_signal(signal.SIGTERM)
    exit_code = await exit_code_within(process, 10)

    assert len(workers) == 2
    assert answered == [200] * 4
    assert exit_code in CLEAN_EXITS
    assert not any(running(worker) for worker in workers)


async def test_two_server_processes_report_one_set_of_metrics(
    start_server: Callable[..., object], test_database: DatabaseUnderTest
) -> None:
    process, base_url = await start_server(  # type: ignore[misc]
        DATABASE_URL=test_database.url, WEB_CONCURRENCY="2", METRICS_ENABLED="true"
    )
    requests = 40

    def live_requests(scrape: str) -> float:
        return sum(
            sample.value
            for family in text_string_to_metric_families(scrape)
            for sample in family.samples
            if sample.name == "http_requests_total" and sample.labels["route"] == "/health/live"
        )

    async with httpx.AsyncClient(base_url=base_url) as client:
        before = live_requests((await client.get("/metrics")).text)
        # A new connection each time, so both processes answer some of them.
        for _ in range(requests):
            response = await client.get("/health/live", headers={"Connection": "close"})
            assert response.status_code == 200
        scrapes = [
            (await client.get("/metrics", headers={"Connection": "close"})).text for _ in range(6)
        ]
    process.send_signal(signal.SIGTERM)
    await exit_code_within(process, 10)

    # Whichever process answers a scrape reports both processes' requests.
    assert [live_requests(scrape) - before for scrape in scrapes] == [requests] * 6
