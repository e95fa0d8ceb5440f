"""Idempotency keys, per user, kept in PostgreSQL so they hold across app processes.

A request claims its key in its own unit of work, stores its response there, and
commits both with the work they describe: a request that fails leaves nothing
behind, so its key can be retried. While it runs, it holds a transaction-scoped
advisory lock on the key; a concurrent request with the same key cannot take it
and is told the first is in progress, without waiting for it.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import BigInteger, Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.database import advisory_lock_key
from storefront.idempotency.exceptions import (
    IdempotencyKeyInProgressError,
    IdempotencyKeyReusedError,
)
from storefront.idempotency.models import IdempotencyRecord

RETENTION = timedelta(hours=24)
IN_PROGRESS = "A request with this Idempotency-Key is still being processed; retry shortly."
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


# Every request with a key runs these: built once, so each execution skips building
# the statement and its cache key, and on the table, not the mapped class, so the
# session runs them as plain SQL without the ORM's bulk INSERT/UPDATE handling
# (POST /orders, task bench).
_RECORDS = cast(Table, IdempotencyRecord.__table__)
# Takes the key's lock and, only then, claims the key, in one round trip: says
# whether the lock was taken and whether the key was new. The claim is a SELECT of
# the lock, so it runs after it; its ON CONFLICT sees records committed meanwhile.
_LOCK = select(
    func.pg_try_advisory_xact_lock(bindparam("lock_key", type_=BigInteger)).label("taken")
).cte("lock")
_CLAIM_COLUMNS = ("user_id", "key", "request_hash", "locked_until", "expires_at")
_CLAIMED = (
    insert(_RECORDS)
    .from_select(
        _CLAIM_COLUMNS,
        select(*(bindparam(name, type_=_RECORDS.c[name].type) for name in _CLAIM_COLUMNS)).where(
            select(_LOCK.c.taken).scalar_subquery()
        ),
    )
    .on_conflict_do_nothing()
    .returning(_RECORDS.c.key)
    .cte("claimed")
)
_LOCK_AND_CLAIM = select(_LOCK.c.taken, select(_CLAIMED).exists().label("claimed"))
# (An UPDATE keeps its columns' names for its SET values.)
_THIS_KEY = (
    _RECORDS.c.user_id == bindparam("this_user_id"),
    _RECORDS.c.key == bindparam("this_key"),
)
_COMPLETE = (
    update(_RECORDS)
    .where(*_THIS_KEY)
    .values(response_status=bindparam("status"), response_body=bindparam("body"))
)


async def claim(
    session: AsyncSession, *, user_id: uuid.UUID, key: str, request_hash: bytes
) -> StoredResponse | None:
    """Claim `key` for this request in `session`'s unit of work (None), or return the
    response an earlier request with it stored.

    Raises IdempotencyKeyReusedError for another payload under the same key and
    IdempotencyKeyInProgressError while another request with it is running.
    """
    now = datetime.now(UTC)
    claimed = {
        "request_hash": request_hash,
        "locked_until": now + LEASE,
        "expires_at": now + RETENTION,
    }
    this_key = {"this_user_id": user_id, "this_key": key}
    lock_key = advisory_lock_key(f"storefront.idempotency:{user_id}:{key}")
    record = None
    while record is None:
        result = await session.execute(
            _LOCK_AND_CLAIM, {"lock_key": lock_key, "user_id": user_id, "key": key} | claimed
        )
        outcome = result.one()
        if not outcome.taken:
            raise IdempotencyKeyInProgressError(IN_PROGRESS)
        if outcome.claimed:
            return None
        # None only if the record expired and the periodic purge deleted it
        # between the two statements: then it is claimed anew.
        record = await session.scalar(
            select(IdempotencyRecord).where(*_THIS_KEY).with_for_update(), this_key
        )
    expired = record.expires_at <= now
    # Only a version that claimed keys in a transaction of their own left a record
    # without a response; its lease says whether that request may still be running.
    abandoned = record.response_status is None and record.locked_until <= now
    if expired or abandoned:
        await session.execute(
            update(_RECORDS)
            .where(*_THIS_KEY)
            .values(**claimed, response_status=None, response_body=None),
            this_key,
        )
        return None
    if record.request_hash != request_hash:
        raise IdempotencyKeyReusedError(
            "This Idempotency-Key was used with a different request; use a new key."
        )
    if record.response_status is None or record.response_body is None:
        raise IdempotencyKeyInProgressError(IN_PROGRESS)
    return StoredResponse(record.response_status, record.response_body)


async def complete(
    session: AsyncSession, *, user_id: uuid.UUID, key: str, response: StoredResponse
) -> None:
    """Store the response, in the unit of work that claimed the key and did the work."""
    await session.execute(
        _COMPLETE,
        {
            "this_user_id": user_id,
            "this_key": key,
            "status": response.status,
            "body": response.body,
        },
    )
