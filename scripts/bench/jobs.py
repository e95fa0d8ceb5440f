"""Jobs one worker process runs per second: `count` no-op jobs queued at once, then a
worker (production settings otherwise) runs until they are all done."""

import asyncio
import time

from sqlalchemy import func, select, text

from storefront.core.config import Settings
from storefront.core.database import create_engine, create_sessionmaker, transaction
from storefront.jobs.service import JobContext, job
from storefront.jobs.worker import run_worker


@job("bench.no_op")
async def no_op(context: JobContext, *, number: int) -> None:
    await context.session.execute(select(func.now()))  # a job's unit of work touches the database


async def jobs_per_second(database_url: str, settings: Settings, count: int) -> float:
    engine = create_engine(database_url, settings.database)
    sessionmaker = create_sessionmaker(engine)
    async with transaction(sessionmaker) as session:
        for number in range(count):
            await no_op.enqueue(session, number=number)
    shutdown = asyncio.Event()
    started = time.perf_counter()
    worker = asyncio.create_task(run_worker(settings, shutdown=shutdown, jobs=[no_op], periodic=[]))
    while True:
        await asyncio.sleep(0.05)
        async with transaction(sessionmaker) as session:
            left = await session.scalar(
                text("SELECT count(*) FROM pgqueuer WHERE entrypoint = :name"), {"name": no_op.name}
            )
        if not left:
            break
    elapsed = time.perf_counter() - started
    shutdown.set()
    await worker
    await engine.dispose()
    return count / elapsed
