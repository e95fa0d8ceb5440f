"""Hand-written reads for hot paths (see `RawConnections`); checked against the ORM in tests."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storefront.users.models import UserRole


@dataclass(frozen=True, slots=True)
class Account:
    """The caller, as authentication sees them: read afresh on every request."""

    id: uuid.UUID
    email: str
    full_name: str
    role: UserRole
    is_active: bool
    hashed_password: str
    created_at: datetime


async def fetch_account(connection: Any, user_id: uuid.UUID) -> Account | None:
    row = await connection.fetchrow(
        "SELECT id, email, full_name, role, is_active, hashed_password, created_at"
        " FROM users WHERE id = $1",
        user_id,
    )
    if row is None:
        return None
    return Account(**{**row, "role": UserRole(row["role"])})
