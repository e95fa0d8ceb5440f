"""Idempotency keys, per user, kept in PostgreSQL so they hold across app processes.

A request first claims its key in a transaction of its own, committed at once, so
concurrent requests with the same key see it. The response is stored in the same
unit of work as the work it describes; a request that fails releases the key.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.database import TransactionFactory
from storefront.idempotency.exceptions import (
    IdempotencyKeyInProgressError,
    IdempotencyKeyReusedError,
)
from storefront.idempotency.models import IdempotencyRecord

RETENTION = timedelta(hours=24)
# A request still "in progress" after this is taken to have died with its process.
LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


def fingerprint(payload: Any) -> bytes:
    """A digest of a JSON-able request payload that ignores key order and spacing."""
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    ).digest()


async def claim(
    transactions: TransactionFactory, *, user_id: uuid.UUID, key: str, request_hash: bytes
) -> StoredResponse | None:
    """Claim `key` for this request (None), or return the response it already produced.

    Raises IdempotencyKeyReusedError for another payload under the same key and
    IdempotencyKeyInProgressError while the first request is still running.
    """
    now = datetime.now(UTC)
    claimed = {
        "request_hash": request_hash,
        "locked_until": now + LEASE,
        "expires_at": now + RETENTION,
    }
    async with transactions() as session:
        record = None
        while record is None:
            inserted = await session.scalar(
                insert(IdempotencyRecord)
                .values(user_id=user_id, key=key, **claimed)
                .on_conflict_do_nothing()
                .returning(IdempotencyRecord.key)
            )
            if inserted is not None:
                return None
            # None only if the record expired and the periodic purge deleted it
            # between the two statements: then it is claimed anew.
            record = await session.scalar(
                select(IdempotencyRecord)
                .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
                .with_for_update()
            )
        expired = record.expires_at <= now
        abandoned = record.response_status is None and record.locked_until <= now
        if expired or abandoned:
            await session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
                .values(**claimed, response_status=None, response_body=None)
            )
            return None
        if record.request_hash != request_hash:
            raise IdempotencyKeyReusedError(
                "This Idempotency-Key was used with a different request; use a new key."
            )
        if record.response_status is None or record.response_body is None:
            raise IdempotencyKeyInProgressError(
                "A request with this Idempotency-Key is still being processed; retry shortly."
            )
        return StoredResponse(record.response_status, record.response_body)


async def complete(
    session: AsyncSession, *, user_id: uuid.UUID, key: str, response: StoredResponse
) -> None:
    """Store the response, in the unit of work that did the request's work."""
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
        .values(response_status=response.status, response_body=response.body)
    )


async def release(transactions: TransactionFactory, *, user_id: uuid.UUID, key: str) -> None:
    """Forget a claim whose request failed, so the key can be retried."""
    async with transactions() as session:
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user_id,
                IdempotencyRecord.key == key,
                IdempotencyRecord.response_status.is_(None),
            )
        )
