import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.shared.models import Base, UUIDPrimaryKey


class RefreshToken(UUIDPrimaryKey, Base):
    """One refresh token of a login's family; only its SHA-256 is stored."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    # Every token rotated from the same login shares the family id.
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginFailure(UUIDPrimaryKey, Base):
    """A failed login, kept for the throttling window; shared by every app process."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_failed_at", "email", "failed_at"),
        Index("ix_login_failures_client_address_failed_at", "client_address", "failed_at"),
    )

    # Normalised like stored emails, so the counter is the account's however typed.
    email: Mapped[str] = mapped_column(String(320))
    client_address: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime]


class KnownLoginAddress(Base):
    """An address a user logged in from successfully: failures elsewhere do not lock
    the owner out here."""

    __tablename__ = "known_login_addresses"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    client_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_success_at: Mapped[datetime]


class PasswordResetRequest(UUIDPrimaryKey, Base):
    """A password-reset request, known email or not, kept for the throttling window."""

    __tablename__ = "password_reset_requests"
    __table_args__ = (
        Index("ix_password_reset_requests_email_requested_at", "email", "requested_at"),
        Index(
            "ix_password_reset_requests_client_address_requested_at",
            "client_address",
            "requested_at",
        ),
    )

    email: Mapped[str] = mapped_column(String(320))
    client_address: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime]


class PasswordResetToken(UUIDPrimaryKey, Base):
    """A single-use password-reset token; only its SHA-256 is stored."""

    __tablename__ = "password_reset_tokens"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # Set when the token is used, or when a newer request supersedes it.
    ended_at: Mapped[datetime | None] = mapped_column(index=True)
