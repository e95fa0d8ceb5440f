"""Declaring and enqueueing jobs."""

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.config import Settings
from storefront.jobs.service import JobContext, enqueue, job
from tests.factories import queued_payloads, run_queued

RECEIVED: list[tuple[uuid.UUID, int]] = []


@job("tests.remember")
async def remember(context: JobContext, *, thing_id: uuid.UUID, count: int) -> None:
    RECEIVED.append((thing_id, count))


async def test_a_job_gets_its_arguments_back_with_their_types(
    session: AsyncSession, settings: Settings
) -> None:
    RECEIVED.clear()
    thing_id = uuid.uuid4()

    await remember.enqueue(session, thing_id=thing_id, count=3)

    assert await queued_payloads(session, remember) == [{"thing_id": str(thing_id), "count": 3}]
    assert await run_queued(session, settings, remember) == 1
    assert [(thing_id, 3)] == RECEIVED


async def test_job_arguments_are_keyword_only(session: AsyncSession) -> None:
    with pytest.raises(TypeError, match="keyword-only"):
        await remember.enqueue(session, uuid.uuid4(), 3)  # type: ignore[call-arg]

    assert await queued_payloads(session, remember) == []


async def test_a_dedupe_key_queues_one_job_until_it_has_run(session: AsyncSession) -> None:
    first = await enqueue(session, remember.name, b"{}", dedupe_key="once")
    second = await enqueue(session, remember.name, b"{}", dedupe_key="once")

    assert first > 0
    assert second == 0
    assert len(await queued_payloads(session, remember)) == 1
