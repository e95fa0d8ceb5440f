"""`storefront jobs` (task jobs): what is queued, running and failed, and what happened."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from storefront.core.config import JobsSettings
from storefront.core.database import create_engine, create_sessionmaker, transaction
from storefront.idempotency.jobs import purge_expired_records
from tests.conftest import DatabaseUnderTest, make_settings


async def test_the_jobs_command_shows_queued_and_failed_jobs(
    test_database: DatabaseUnderTest, tmp_path: Path
) -> None:
    database_url = await test_database.copy("jobs_command")
    settings = make_settings(database_url, jobs=JobsSettings())
    engine = create_engine(database_url, settings.database)
    async with transaction(create_sessionmaker(engine)) as session:
        await purge_expired_records.enqueue(session)
        failed = await purge_expired_records.enqueue(session)
        await session.execute(
            text("UPDATE pgqueuer SET status = 'failed' WHERE id = :id"), {"id": failed}
        )
        await session.execute(
            text(
                "INSERT INTO pgqueuer_log (job_id, status, priority, entrypoint, traceback)"
                " VALUES (:id, 'failed', 0, :name, :traceback)"
            ),
            {
                "id": failed,
                "name": purge_expired_records.name,
                "traceback": '{"exception_type": "OSError", "exception_message": "disk full"}',
            },
        )
    await engine.dispose()

    shown = subprocess.run(  # noqa: ASYNC221 - the test waits for the command anyway
        [sys.executable, "-m", "storefront.cli", "jobs"],
        env={**os.environ, "DATABASE_URL": database_url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    queue, failures, recent = shown.strip().split("\n\n")
    assert "idempotency.purge_expired_records  queued" in queue
    assert "idempotency.purge_expired_records  failed" in queue
    assert f"{failed}" in failures
    assert "OSError: disk full" in failures
    assert "queued" in recent
