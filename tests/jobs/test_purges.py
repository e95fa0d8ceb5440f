"""Each periodic purge deletes exactly what is due, at most a batch per run."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth import jobs as auth_jobs
from storefront.auth.models import (
    LoginFailure,
    PasswordResetRequest,
    PasswordResetToken,
    RefreshToken,
)
from storefront.core.config import JobsSettings, Settings
from storefront.idempotency.jobs import purge_expired_records
from storefront.idempotency.models import IdempotencyRecord
from storefront.jobs.jobs import purge_job_log
from storefront.jobs.service import JobContext, JobFunction
from storefront.mail.jobs import purge_deliveries
from storefront.mail.models import MailDelivery
from storefront.users.models import User

NOW = datetime.now(UTC)
A_SECOND = timedelta(seconds=1)


async def purge(session: AsyncSession, settings: Settings, job: JobFunction[[]]) -> None:
    await job.run(JobContext(session, settings), b"{}")


async def remaining(session: AsyncSession, column: Any) -> set[Any]:
    return set(await session.scalars(select(column)))


async def test_idempotency_records_go_once_their_24_hours_are_over(
    session: AsyncSession, settings: Settings, customer: User
) -> None:
    for key, expires_at in (("due", NOW - A_SECOND), ("kept", NOW + timedelta(hours=23))):
        session.add(
            IdempotencyRecord(
                user_id=customer.id,
                key=key,
                request_hash=b"x",
                locked_until=NOW,
                expires_at=expires_at,
            )
        )
    await session.flush()

    await purge(session, settings, purge_expired_records)

    assert await remaining(session, IdempotencyRecord.key) == {"kept"}


async def test_login_attempts_go_once_they_leave_the_throttle_window(
    session: AsyncSession, settings: Settings
) -> None:
    window = timedelta(minutes=settings.auth.throttle_window_minutes)
    for email, at in (("due@example.com", NOW - window - A_SECOND), ("kept@example.com", NOW)):
        session.add(LoginFailure(email=email, client_address="192.0.2.1", failed_at=at))
        session.add(PasswordResetRequest(email=email, client_address="192.0.2.1", requested_at=at))
    await session.flush()

    await purge(session, settings, auth_jobs.purge_login_attempts)

    assert await remaining(session, LoginFailure.email) == {"kept@example.com"}
    assert await remaining(session, PasswordResetRequest.email) == {"kept@example.com"}


async def test_refresh_tokens_go_a_retention_period_after_they_ended(
    session: AsyncSession, settings: Settings, customer: User
) -> None:
    retention = timedelta(days=settings.auth.refresh_token_retention_days)
    long_ago, recently = NOW - retention - A_SECOND, NOW - retention + timedelta(hours=1)
    tokens = {
        "expired long ago": {"expires_at": long_ago},
        "revoked long ago": {"expires_at": NOW + retention, "revoked_at": long_ago},
        "expired recently": {"expires_at": recently},
        "revoked recently": {"expires_at": NOW + retention, "revoked_at": recently},
        "live": {"expires_at": NOW + retention},
    }
    for name, fields in tokens.items():
        session.add(
            RefreshToken(
                token_hash=name.encode().ljust(32, b"-"),
                family_id=uuid.uuid4(),
                user_id=customer.id,
                created_at=NOW - 2 * retention,
                **fields,
            )
        )
    await session.flush()

    await purge(session, settings, auth_jobs.purge_refresh_tokens)

    kept = {
        token_hash.rstrip(b"-").decode()
        for token_hash in await remaining(session, RefreshToken.token_hash)
    }
    assert kept == {"expired recently", "revoked recently", "live"}


async def test_password_reset_tokens_go_once_used_superseded_or_expired(
    session: AsyncSession, settings: Settings, customer: User
) -> None:
    tokens = {
        "used": {"ended_at": NOW, "expires_at": NOW + timedelta(minutes=20)},
        "expired": {"expires_at": NOW - A_SECOND},
        "current": {"expires_at": NOW + timedelta(minutes=20)},
    }
    for name, fields in tokens.items():
        session.add(
            PasswordResetToken(
                token_hash=name.encode().ljust(32, b"-"),
                user_id=customer.id,
                created_at=NOW,
                **fields,
            )
        )
    await session.flush()

    await purge(session, settings, auth_jobs.purge_password_reset_tokens)

    kept = await remaining(session, PasswordResetToken.token_hash)
    assert kept == {b"current".ljust(32, b"-")}


async def test_old_job_log_rows_go_after_their_retention(
    session: AsyncSession, settings: Settings
) -> None:
    retention = timedelta(days=settings.jobs.log_retention_days)
    for job_id, created in ((1, NOW - retention - A_SECOND), (2, NOW)):
        await session.execute(
            text(
                "INSERT INTO pgqueuer_log (job_id, status, priority, entrypoint, created)"
                " VALUES (:job_id, 'successful', 0, 'test.job', :created)"
            ),
            {"job_id": -job_id, "created": created},
        )

    await purge(session, settings, purge_job_log)

    rows = await session.scalars(text("SELECT job_id FROM pgqueuer_log WHERE job_id < 0"))
    assert set(rows) == {-2}


async def test_mail_deliveries_are_forgotten_with_the_job_log(
    session: AsyncSession, settings: Settings
) -> None:
    retention = timedelta(days=settings.jobs.log_retention_days)
    for key, sent_at in (("due", NOW - retention - A_SECOND), ("kept", NOW - A_SECOND)):
        session.add(MailDelivery(key=key, recipient="ada@example.com", sent_at=sent_at))
    await session.flush()

    await purge(session, settings, purge_deliveries)

    assert await remaining(session, MailDelivery.key) == {"kept"}


async def test_a_run_deletes_at_most_a_batch(session: AsyncSession, settings: Settings) -> None:
    session.add_all(
        LoginFailure(
            email=f"{n}@example.com", client_address="192.0.2.1", failed_at=NOW - timedelta(days=1)
        )
        for n in range(5)
    )
    await session.flush()
    small_batches = settings.model_copy(update={"jobs": JobsSettings(purge_batch_size=2)})

    await purge(session, small_batches, auth_jobs.purge_login_attempts)
    assert len(await remaining(session, LoginFailure.email)) == 3
    await purge(session, small_batches, auth_jobs.purge_login_attempts)
    await purge(session, small_batches, auth_jobs.purge_login_attempts)
    assert await remaining(session, LoginFailure.email) == set()
