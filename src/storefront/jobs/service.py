"""Background jobs on PostgreSQL (PgQueuer): declaring them, and enqueueing them in
the caller's unit of work, so a job exists exactly when the data that caused it does.

    @job("orders.send_confirmation")
    async def send_confirmation(context: JobContext, *, order_id: uuid.UUID) -> None: ...

    await send_confirmation.enqueue(session, order_id=order.id)  # commits with session

Job functions take ids, not objects (the payload is their keyword arguments as JSON,
validated against their signature when the job runs), run in a unit of work of
their own, and must be safe to run twice: a job whose worker died is run again.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Concatenate, Generic, ParamSpec, Self

from pgqueuer.adapters.persistence.queries import Queries
from pgqueuer.core.tm import TaskManager
from pgqueuer.ports.driver import Driver, NotifyCallback
from pydantic import ConfigDict, validate_call
from pydantic_core import to_json
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.config import Settings

P = ParamSpec("P")


@dataclass(frozen=True)
class JobContext:
    """What a running job gets besides its arguments."""

    session: AsyncSession  # the job's unit of work: committed when the job returns
    settings: Settings


class SessionDriver(Driver):
    """PgQueuer's queries, run through a SQLAlchemy session: in its transaction, on its
    connection, as one more statement of the caller's unit of work. For enqueueing
    only: a worker listens and claims on connections of its own."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def fetch(self, query: str, *args: object) -> list[dict[str, object]]:
        # asyncpg's own $n placeholders pass through SQLAlchemy untouched.
        connection = await self.session.connection()
        result = await connection.exec_driver_sql(query, args)
        return [dict(row) for row in result.mappings()]

    async def execute(self, query: str, *args: object) -> str:
        connection = await self.session.connection()
        await connection.exec_driver_sql(query, args)
        return ""

    async def notify(self, channel: str, payload: str) -> None:
        await self.execute("SELECT pg_notify($1, $2)", channel, payload)

    async def add_listener(self, channel: str, callback: NotifyCallback) -> None:
        raise NotImplementedError("a session cannot listen: it ends with its unit of work")

    @property
    def shutdown(self) -> asyncio.Event:
        return asyncio.Event()

    @property
    def tm(self) -> TaskManager:
        return TaskManager()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None


@dataclass(frozen=True)
class JobFunction(Generic[P]):
    name: str
    function: Callable[Concatenate[JobContext, P], Awaitable[None]]

    async def enqueue(
        self,
        session: AsyncSession,
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> int:
        """Add a run of this job to `session`'s transaction; it is queued once that commits."""
        return await enqueue(session, self.name, _payload(args, kwargs))

    async def run(self, context: JobContext, payload: bytes | None) -> None:
        await self._validated(context, **json.loads(payload or b"{}"))

    @cached_property
    def _validated(self) -> Callable[..., Awaitable[None]]:
        # The JSON payload's strings become the signature's types (UUID, datetime...).
        return validate_call(config=ConfigDict(arbitrary_types_allowed=True))(self.function)


def job(
    name: str,
) -> Callable[[Callable[Concatenate[JobContext, P], Awaitable[None]]], JobFunction[P]]:
    """Declare a job function under `name` (its entry in the queue: keep it stable)."""

    def declare(function: Callable[Concatenate[JobContext, P], Awaitable[None]]) -> JobFunction[P]:
        return JobFunction(name, function)

    return declare


def _payload(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    if args:
        raise TypeError("job arguments are keyword-only, so a payload names each value")
    return to_json(kwargs)


async def enqueue(
    session: AsyncSession, name: str, payload: bytes, *, dedupe_key: str | None = None
) -> int:
    """Queue job `name` in `session`'s transaction. With `dedupe_key`, nothing is queued
    while a job with that key is queued or running (0 is returned then)."""
    queries = Queries(SessionDriver(session))
    if dedupe_key is None:
        [job_id] = await queries.enqueue(name, payload)
        return job_id
    [maybe_id] = await queries.enqueue(name, payload, dedupe_key=dedupe_key, on_conflict="skip")
    return maybe_id or 0


# What `storefront jobs` shows; PgQueuer's tables, so plain SQL.
QUEUE_OVERVIEW = {
    "In the queue (queued, running as picked, failed)": """
        SELECT entrypoint AS job, status::text, count(*),
               min(created) AS oldest, max(attempts) AS max_attempts
        FROM pgqueuer GROUP BY entrypoint, status ORDER BY entrypoint, status""",
    "Failed (kept for a look; `pgq requeue` runs them again)": """
        SELECT job.id, job.entrypoint AS job, job.attempts, job.updated,
               left(log.traceback ->> 'exception_type' || ': '
                    || (log.traceback ->> 'exception_message'), 120) AS error
        FROM pgqueuer job
        LEFT JOIN LATERAL (
            SELECT traceback FROM pgqueuer_log
            WHERE job_id = job.id AND traceback IS NOT NULL
            ORDER BY created DESC LIMIT 1
        ) log ON true
        WHERE job.status = 'failed' ORDER BY job.updated DESC LIMIT 20""",
    "Recent": """
        SELECT created AS at, job_id AS id, entrypoint AS job, status::text
        FROM pgqueuer_log ORDER BY id DESC LIMIT 20""",
}


async def queue_overview(session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    """Jobs queued, running and failed by name, failed ones with their error, and the
    latest things that happened, by section title."""
    return {
        title: [dict(row) for row in (await session.execute(text(query))).mappings()]
        for title, query in QUEUE_OVERVIEW.items()
    }
