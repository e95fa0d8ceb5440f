"""The worker, for real: its own connections, a committed database, a real SMTP server,
and, where it matters, its own process and real signals."""

import asyncio
import inspect
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storefront.auth.passwords import PasswordHasher
from storefront.core.config import JobsSettings, Settings
from storefront.core.database import create_engine, create_sessionmaker, transaction
from storefront.core.main import create_app
from storefront.jobs.service import JobContext, job, queue_overview
from storefront.jobs.worker import PERIODIC_JOBS, run_worker
from storefront.orders import service as orders_service
from storefront.orders.schemas import OrderCreate
from storefront.users.models import User
from tests.conftest import DatabaseUnderTest, SmtpServer, client_for, make_settings
from tests.factories import bearer, create_product, create_user, log_in_tokens, order_body

FAST_JOBS = JobsSettings(
    concurrency=2, heartbeat_timeout_seconds=1, max_attempts=3, retry_delay_seconds=0.05
)


@pytest.fixture
async def live_settings(test_database: DatabaseUnderTest, smtp_server: SmtpServer) -> Settings:
    """Settings on a committed database of this test's own, mailing `smtp_server`."""
    return make_settings(
        await test_database.copy("worker"), smtp=smtp_server.settings, jobs=FAST_JOBS
    )


@pytest.fixture
async def live_engine(live_settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(live_settings.database.url.get_secret_value(), live_settings.database)  # type: ignore[union-attr]
    yield engine
    await engine.dispose()


@pytest.fixture
async def start_worker(live_settings: Settings) -> AsyncIterator[Callable[..., asyncio.Event]]:
    """Run a worker in this process until the test ends (or its event is set)."""
    running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    def start(**options: Any) -> asyncio.Event:
        shutdown = asyncio.Event()
        task = asyncio.create_task(run_worker(live_settings, shutdown=shutdown, **options))
        running.append((shutdown, task))
        return shutdown

    yield start
    for shutdown, task in running:
        shutdown.set()
        await asyncio.wait_for(task, timeout=10)


async def eventually(check: Callable[[], bool | Awaitable[bool]]) -> None:
    """Wait up to 15 s for `check` to pass."""
    for _ in range(300):
        passed = check()
        if await passed if inspect.isawaitable(passed) else passed:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("still not so after 15 s")


async def place_committed_order(engine: AsyncEngine, hasher: PasswordHasher) -> User:
    async with transaction(create_sessionmaker(engine)) as session:
        user = await create_user(session, hasher)
        product = await create_product(session)
        order = OrderCreate.model_validate(order_body((product, 1)))
        await orders_service.place_order(session, user_id=user.id, order=order)
    return user


async def test_an_order_placed_through_the_api_is_mailed_by_the_worker(
    live_settings: Settings,
    live_engine: AsyncEngine,
    hasher: PasswordHasher,
    smtp_server: SmtpServer,
    start_worker: Callable[..., asyncio.Event],
) -> None:
    app = create_app(live_settings)
    async with app.router.lifespan_context(app), client_for(app) as client:
        async with transaction(app.state.sessionmaker) as session:
            user = await create_user(session, hasher)
            product = await create_product(session, name="Teapot", price_cents=4200)
        headers = bearer((await log_in_tokens(client, user.email))["access_token"])
        start_worker()

        placed = await client.post(
            "/api/v1/orders",
            json=order_body((product, 2)),
            headers=headers | {"Idempotency-Key": "worker-test"},
        )
        assert placed.status_code == 201

        await eventually(lambda: len(smtp_server.messages) == 1)
    [mail] = smtp_server.messages
    assert mail["To"] == user.email
    assert placed.json()["id"] in mail["Subject"]
    assert "2 x Teapot" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


RUNS = 0


@job("tests.always_fails")
async def always_fails(context: JobContext) -> None:
    global RUNS
    RUNS += 1
    raise RuntimeError("the payment provider said no")


async def test_a_failing_job_is_retried_then_kept_as_failed_with_its_error(
    live_settings: Settings, live_engine: AsyncEngine, start_worker: Callable[..., asyncio.Event]
) -> None:
    global RUNS
    RUNS = 0
    sessionmaker = create_sessionmaker(live_engine)
    async with transaction(sessionmaker) as session:
        job_id = await always_fails.enqueue(session)
    start_worker(jobs=[always_fails], periodic=[])

    async def failed() -> bool:
        async with transaction(sessionmaker) as session:
            status = await session.scalar(
                text("SELECT status::text FROM pgqueuer WHERE id = :id"), {"id": job_id}
            )
        return bool(status == "failed")

    await eventually(failed)
    async with transaction(sessionmaker) as session:
        overview = await queue_overview(session)
        retry_delays = await session.scalars(
            text(
                "SELECT traceback -> 'additional_context' ->> 'retry_delay' FROM pgqueuer_log"
                " WHERE job_id = :id AND traceback IS NOT NULL ORDER BY id"
            ),
            {"id": job_id},
        )
    [failure] = overview["Failed (kept for a look; `pgq requeue` runs them again)"]
    assert failure["job"] == "tests.always_fails"
    assert failure["error"] == "RuntimeError: the payment provider said no"
    assert FAST_JOBS.max_attempts == RUNS
    # Backing off: twice the wait before each retry; the last failure has none.
    assert list(retry_delays) == ["0:00:00.050000", "0:00:00.100000", None]


async def test_the_worker_schedules_every_periodic_job(
    live_engine: AsyncEngine, start_worker: Callable[..., asyncio.Event]
) -> None:
    start_worker()
    sessionmaker = create_sessionmaker(live_engine)

    async def scheduled() -> set[str]:
        async with transaction(sessionmaker) as session:
            rows = await session.scalars(text("SELECT entrypoint FROM pgqueuer_schedules"))
            return set(rows)

    expected = {entry.job.name for entry in PERIODIC_JOBS}

    async def all_scheduled() -> bool:
        return await scheduled() == expected

    await eventually(all_scheduled)


@pytest.fixture
async def worker_mid_job(
    live_settings: Settings,
    live_engine: AsyncEngine,
    hasher: PasswordHasher,
    smtp_server: SmtpServer,
    repo_root: Path,
    tmp_path: Path,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, User]]:
    """`storefront worker` in a process of its own, caught mid-job: sending an order's
    confirmation, its SMTP server holding the mail's recipient unanswered."""
    smtp_server.handler.hold.set()
    user = await place_committed_order(live_engine, hasher)
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": live_settings.database.url.get_secret_value(),  # type: ignore[union-attr]
        "SMTP_HOST": str(smtp_server.settings.host),
        "SMTP_PORT": str(smtp_server.settings.port),
        "SMTP_SECURITY": "none",
        "JOBS_HEARTBEAT_TIMEOUT_SECONDS": "1",
    }
    worker = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "storefront.cli", "worker"], env=env, cwd=tmp_path
    )
    try:
        assert await asyncio.to_thread(smtp_server.handler.holding.wait, 20)
        yield worker, user
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()


async def test_sigterm_lets_the_running_job_finish(
    worker_mid_job: tuple[asyncio.subprocess.Process, User],
    live_engine: AsyncEngine,
    smtp_server: SmtpServer,
) -> None:
    worker, user = worker_mid_job

    worker.send_signal(signal.SIGTERM)
    await asyncio.sleep(1)
    assert worker.returncode is None  # still finishing the job
    smtp_server.handler.release.set()

    assert await asyncio.wait_for(worker.wait(), timeout=10) == 0
    assert [mail["To"] for mail in smtp_server.messages] == [user.email]
    async with transaction(create_sessionmaker(live_engine)) as session:
        statuses = await session.scalars(
            text(
                "SELECT status::text FROM pgqueuer_log"
                " WHERE entrypoint = 'orders.send_confirmation' ORDER BY id"
            )
        )
        assert list(statuses) == ["queued", "picked", "successful"]


async def test_a_worker_killed_mid_job_loses_nothing(
    worker_mid_job: tuple[asyncio.subprocess.Process, User],
    smtp_server: SmtpServer,
    start_worker: Callable[..., asyncio.Event],
) -> None:
    worker, user = worker_mid_job

    worker.kill()
    await worker.wait()
    smtp_server.handler.hold.clear()
    smtp_server.handler.release.set()
    start_worker()  # once the dead worker's heartbeat lapses, this one runs the job again

    await eventually(lambda: len(smtp_server.messages) == 1)
    await asyncio.sleep(1.5)  # and only once
    assert [mail["To"] for mail in smtp_server.messages] == [user.email]
