from typing import Annotated

from fastapi import APIRouter, Query

from storefront.auth import service as auth_service
from storefront.auth.dependencies import AccessTokenClaims, AdminUser, CurrentUser, Hasher
from storefront.core.config import AppSettings
from storefront.core.database import DbSession, ReadSession
from storefront.core.errors import problem_responses
from storefront.shared.pagination import LastId, Page, Paginator
from storefront.users import service
from storefront.users.dependencies import UserInPath
from storefront.users.exceptions import InvalidCurrentPasswordError
from storefront.users.schemas import (
    MeUpdate,
    UserAdminUpdate,
    UserFilters,
    UserRead,
    refuse_password_that_is_the_email,
)

# Admin routes take `AdminUser` first, so callers who may not use them learn
# nothing else (not even whether an id exists).
router = APIRouter(prefix="/users", tags=["users"], responses=problem_responses(401))
pages = Paginator("users", LastId)


@router.get("/me")
async def read_me(user: CurrentUser) -> UserRead:
    """Your own account."""
    return UserRead.model_validate(user)


@router.patch("/me", responses=problem_responses(403, 422))
async def update_me(
    body: MeUpdate,
    user: CurrentUser,
    claims: AccessTokenClaims,
    session: DbSession,
    hasher: Hasher,
) -> UserRead:
    """Change your name or password; a new password logs out your other sessions."""
    hashed_password = None
    if body.password is not None:
        refuse_password_that_is_the_email(body.password, user.email, field="password")
        # Hashing happens before the session uses a connection.
        valid, _ = await hasher.verify(body.current_password or "", user.hashed_password)
        if not valid:
            raise InvalidCurrentPasswordError("The current password is wrong.")
        hashed_password = await hasher.hash(body.password)
    updated = await service.update_user(
        session, user.id, full_name=body.full_name, hashed_password=hashed_password
    )
    if hashed_password is not None:
        await auth_service.revoke_other_families(
            session, user_id=user.id, keep_family_id=claims.family_id
        )
    return UserRead.model_validate(updated)


@router.get("", responses=problem_responses(403, 422))
async def list_users(
    _: AdminUser,
    filters: Annotated[UserFilters, Query()],
    session: ReadSession,
    settings: AppSettings,
) -> Page[UserRead]:
    """Admin: accounts in creation order, a page at a time."""
    secret = settings.secret_key.get_secret_value()
    after = pages.position(filters, secret)
    users = await service.list_users(
        session,
        limit=filters.limit + 1,  # one more tells whether there is a next page
        after=after.id if after else None,
        role=filters.role,
        is_active=filters.is_active,
        email_prefix=filters.email_prefix,
    )
    return pages.page(
        [UserRead.model_validate(user) for user in users],
        filters,
        secret,
        position=lambda user: LastId(id=user.id),
    )


@router.get("/{user_id}", responses=problem_responses(403, 404, 422))
async def read_user(_: AdminUser, user: UserInPath) -> UserRead:
    """Admin: one account."""
    return UserRead.model_validate(user)


@router.patch("/{user_id}", responses=problem_responses(403, 404, 409, 422))
async def update_user(
    _: AdminUser, user: UserInPath, body: UserAdminUpdate, session: DbSession
) -> UserRead:
    """Admin: change an account's name, role or active flag."""
    updated = await service.update_user(session, user.id, **body.model_dump(exclude_unset=True))
    return UserRead.model_validate(updated)
