"""The worker process: runs queued jobs and queues the periodic ones (`storefront worker`).

Every domain's jobs are listed here, as every domain's router is in core/main.py.
SIGTERM or SIGINT stops it gracefully: no new job is taken, running jobs finish.
A worker that dies instead (SIGKILL, a lost machine) loses nothing: its jobs stay
claimed until their heartbeat lapses (JOBS_HEARTBEAT_TIMEOUT_SECONDS), then
another worker runs them again.
"""

import asyncio
import logging
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
from pgqueuer import PgQueuer
from pgqueuer.adapters.drivers.asyncpg import AsyncpgPoolDriver
from pgqueuer.core.executors import DatabaseRetryEntrypointExecutor, EntrypointExecutorParameters
from pgqueuer.models import Job, Schedule
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth import jobs as auth_jobs
from storefront.core import tracing
from storefront.core.config import Settings
from storefront.core.database import (
    create_engine,
    create_sessionmaker,
    plain_url,
    resolve_database_url,
    transaction,
)
from storefront.idempotency import jobs as idempotency_jobs
from storefront.jobs import jobs as queue_jobs
from storefront.jobs.service import JobContext, JobFunction, enqueue
from storefront.mail import jobs as mail_jobs
from storefront.orders import jobs as orders_jobs

logger = logging.getLogger("storefront.jobs")


@dataclass(frozen=True)
class Periodic:
    """A job queued on a cron schedule (UTC), once across all workers."""

    job: JobFunction[[]]
    cron: str


# Jobs services enqueue; the periodic ones below are run too.
DOMAIN_JOBS: list[JobFunction[Any]] = [
    orders_jobs.send_order_confirmation,
    auth_jobs.send_password_reset,
]

PERIODIC_JOBS = [
    Periodic(auth_jobs.purge_login_attempts, "*/10 * * * *"),
    Periodic(auth_jobs.purge_refresh_tokens, "17 * * * *"),
    Periodic(auth_jobs.purge_password_reset_tokens, "*/10 * * * *"),
    Periodic(idempotency_jobs.purge_expired_records, "*/10 * * * *"),
    Periodic(queue_jobs.purge_job_log, "23 * * * *"),
    Periodic(mail_jobs.purge_deliveries, "29 * * * *"),
]


def build_queue(
    driver: AsyncpgPoolDriver,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    jobs: Sequence[JobFunction[Any]],
    periodic: Sequence[Periodic],
) -> PgQueuer:
    queue = PgQueuer(driver)

    def retrying(parameters: EntrypointExecutorParameters) -> DatabaseRetryEntrypointExecutor:
        return DatabaseRetryEntrypointExecutor(
            parameters,
            # PgQueuer counts the retries after the first run.
            max_attempts=settings.jobs.max_attempts - 1,
            initial_delay=timedelta(seconds=settings.jobs.retry_delay_seconds),
        )

    for job_function in [*jobs, *(entry.job for entry in periodic)]:

        async def run(job: Job, job_function: JobFunction[Any] = job_function) -> None:
            started = time.perf_counter()
            async with transaction(sessionmaker) as session:
                await job_function.run(JobContext(session, settings), job.payload)
            logger.info(
                "job done",
                extra={
                    "job": job_function.name,
                    "job_id": job.id,
                    "attempt": job.attempts + 1,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )

        # Failures are retried with backoff, then kept as `failed` with their error.
        queue.entrypoint(job_function.name, on_failure="hold", executor_factory=retrying)(run)

    for entry in periodic:

        async def queue_periodic(schedule: Schedule, entry: Periodic = entry) -> None:
            async with transaction(sessionmaker) as session:
                # One at a time: a purge still queued or running is not queued again.
                await enqueue(session, entry.job.name, b"{}", dedupe_key=entry.job.name)

        queue.schedule(entry.job.name, entry.cron)(queue_periodic)
    return queue


async def run_worker(
    settings: Settings,
    *,
    shutdown: asyncio.Event | None = None,
    jobs: Sequence[JobFunction[Any]] = DOMAIN_JOBS,
    periodic: Sequence[Periodic] = PERIODIC_JOBS,
) -> None:
    """Run jobs until `shutdown` is set (by default: until SIGTERM or SIGINT)."""
    tracing.configure()
    database_url = await resolve_database_url(settings.database)
    engine = create_engine(database_url, settings.database)
    # The queue's own connections: one LISTENs for new jobs, the others claim jobs,
    # beat hearts and record outcomes, beside the jobs' sessions from `engine`.
    queue_url = settings.jobs.database_url
    pool = await asyncpg.create_pool(
        plain_url(queue_url.get_secret_value() if queue_url else database_url),
        min_size=2,
        max_size=4,
        timeout=settings.database.connect_timeout_seconds,
    )
    queue = build_queue(
        AsyncpgPoolDriver(pool), create_sessionmaker(engine), settings, jobs, periodic
    )
    if shutdown is None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, queue.shutdown.set)
    else:
        asyncio.get_running_loop().create_task(_forward(shutdown, queue.shutdown))
    logger.info("worker started", extra={"jobs": [job_function.name for job_function in jobs]})
    heartbeat_timeout = timedelta(seconds=settings.jobs.heartbeat_timeout_seconds)
    try:
        await queue.run(
            # PgQueuer claims in batches of at most half the jobs it may run at once.
            batch_size=settings.jobs.concurrency // 2,
            max_concurrent_tasks=settings.jobs.concurrency,
            heartbeat_timeout=heartbeat_timeout,
            # New jobs wake the worker by NOTIFY; a dead worker's jobs send none, so
            # look for them at least this often.
            dequeue_timeout=heartbeat_timeout,
        )
    finally:
        await pool.close()
        await engine.dispose()
        logger.info("worker stopped")


async def _forward(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()
