"""The caller as other domains see them (read by auth on every request)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

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
