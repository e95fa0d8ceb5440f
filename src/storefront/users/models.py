from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, true
from sqlalchemy.orm import Mapped, mapped_column

from storefront.shared.models import Base, Timestamps, UUIDPrimaryKey, string_enum


class UserRole(StrEnum):
    CUSTOMER = "customer"
    ADMIN = "admin"


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"
    # Stored as `normalize_email` makes it, and compared exactly.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    hashed_password: Mapped[str] = mapped_column(String(255))
    role: Mapped[UserRole] = mapped_column(
        *string_enum(UserRole, "role"),
        default=UserRole.CUSTOMER,
        server_default=UserRole.CUSTOMER.value,
    )
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # When one of the user's logins last ended early (logout, password change,
    # refresh-token reuse). Access tokens issued before it have their login checked.
    sessions_revoked_at: Mapped[datetime | None]
