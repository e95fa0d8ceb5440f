"""Users: accounts, profiles, roles. Never commits: the caller's unit of work does."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.shared.text import fold_email, normalize_email
from storefront.users.exceptions import EmailTakenError, LastAdminError, UserNotFoundError
from storefront.users.models import User, UserRole


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    full_name: str,
    hashed_password: str,
    role: UserRole = UserRole.CUSTOMER,
) -> User:
    user = User(
        email=normalize_email(email),
        full_name=full_name,
        hashed_password=hashed_password,
        role=role,
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError as exc:
        raise EmailTakenError(f"An account already uses {email}.") from exc
    return user


async def find_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFoundError("No user has this id.")
    return user


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    """The user whose address is `email`, given as `normalize_email` makes it."""
    return await session.scalar(select(User).where(User.email == email))


async def list_users(
    session: AsyncSession,
    *,
    limit: int,
    after: uuid.UUID | None = None,
    role: UserRole | None = None,
    is_active: bool | None = None,
    email_prefix: str | None = None,
) -> Sequence[User]:
    """Users in creation order (ids are UUIDv7), starting after the user `after`."""
    query = select(User).order_by(User.id).limit(limit)
    if after is not None:
        query = query.where(User.id > after)
    if role is not None:
        query = query.where(User.role == role)
    if is_active is not None:
        query = query.where(User.is_active == is_active)
    if email_prefix is not None:
        query = query.where(User.email.startswith(fold_email(email_prefix), autoescape=True))
    return (await session.scalars(query)).all()


async def update_user(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    full_name: str | None = None,
    role: UserRole | None = None,
    is_active: bool | None = None,
    hashed_password: str | None = None,
) -> User:
    """Apply the given changes; refuses any that would leave no active admin."""
    user = await get_user(session, user_id)
    stays_admin = (role or user.role) is UserRole.ADMIN and (
        user.is_active if is_active is None else is_active
    )
    if user.role is UserRole.ADMIN and user.is_active and not stays_admin:
        await _ensure_another_active_admin(session, user_id)
    if full_name is not None:
        user.full_name = full_name
    if role is not None:
        user.role = role
    if is_active is not None:
        user.is_active = is_active
    if hashed_password is not None:
        user.hashed_password = hashed_password
    await session.flush()
    return user


async def note_sessions_revoked(session: AsyncSession, user_id: uuid.UUID, *, at: datetime) -> None:
    """Record that some of the user's logins ended at `at` (auth checks tokens against it)."""
    await session.execute(update(User).where(User.id == user_id).values(sessions_revoked_at=at))


async def _ensure_another_active_admin(session: AsyncSession, user_id: uuid.UUID) -> None:
    # Locking every active admin serialises concurrent demotions, so two admins
    # demoting each other cannot both succeed and leave none.
    admins = await session.scalars(
        select(User.id)
        .where(User.role == UserRole.ADMIN, User.is_active)
        .order_by(User.id)
        .with_for_update()
    )
    if not set(admins) - {user_id}:
        raise LastAdminError("This is the last active admin; promote another admin first.")
