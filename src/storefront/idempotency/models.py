import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from storefront.shared.models import Base


class IdempotencyRecord(Base):
    """A request made with an Idempotency-Key: in progress until its response is stored."""

    __tablename__ = "idempotency_records"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # SHA-256 of the request, so the key cannot be replayed with another body.
    request_hash: Mapped[bytes]
    # While in progress: after this, a crashed request's key may be taken over.
    locked_until: Mapped[datetime]
    response_status: Mapped[int | None]
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    expires_at: Mapped[datetime] = mapped_column(index=True)
