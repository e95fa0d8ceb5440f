from typing import Annotated

from fastapi import APIRouter, Form, status

from storefront.auth import password_reset, service
from storefront.auth.dependencies import Hasher
from storefront.auth.schemas import (
    PasswordResetAccepted,
    PasswordResetConfirmBody,
    PasswordResetRequestBody,
    RefreshTokenBody,
    TokenResponse,
)
from storefront.core.config import AppSettings
from storefront.core.database import DbSession, Transactions
from storefront.core.errors import problem_responses
from storefront.core.network import ClientAddress
from storefront.shared.text import EmailLike
from storefront.users import service as users_service
from storefront.users.schemas import (
    Password,
    UserCreate,
    UserRead,
    refuse_password_that_is_the_email,
)

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409, 422),
)
async def register(body: UserCreate, session: DbSession, hasher: Hasher) -> UserRead:
    """Create a customer account."""
    hashed_password = await hasher.hash(body.password)  # before the session touches the pool
    user = await users_service.create_user(
        session, email=body.email, full_name=body.full_name, hashed_password=hashed_password
    )
    return UserRead.model_validate(user)


@router.post("/token", responses=problem_responses(401, 422, 429))
async def log_in(
    username: Annotated[EmailLike, Form(description="The account's email.")],
    password: Annotated[Password, Form()],
    client_address: ClientAddress,
    transactions: Transactions,
    hasher: Hasher,
    settings: AppSettings,
) -> TokenResponse:
    """Log in with email and password (OAuth2 password flow) for an access and refresh token."""
    tokens = await service.log_in(
        transactions,
        hasher,
        settings,
        email=username,
        password=password,
        client_address=client_address,
    )
    return TokenResponse.model_validate(tokens, from_attributes=True)


@router.post("/refresh", responses=problem_responses(401, 422))
async def refresh(
    body: RefreshTokenBody, transactions: Transactions, settings: AppSettings
) -> TokenResponse:
    """Exchange a refresh token for a new pair; the old one stops working."""
    tokens = await service.rotate_refresh_token(
        transactions, settings, refresh_token=body.refresh_token
    )
    return TokenResponse.model_validate(tokens, from_attributes=True)


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(422, 429),
)
async def request_password_reset(
    body: PasswordResetRequestBody,
    client_address: ClientAddress,
    session: DbSession,
    settings: AppSettings,
) -> PasswordResetAccepted:
    """Mail a password-reset link to the account with this email, if there is one."""
    await password_reset.request_password_reset(
        session, settings, email=body.email, client_address=client_address
    )
    return PasswordResetAccepted()


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(400, 422),
)
async def confirm_password_reset(
    body: PasswordResetConfirmBody, session: DbSession, hasher: Hasher
) -> None:
    """Set a new password with the token from a reset mail; every session of the account ends."""
    hashed_password = await hasher.hash(body.new_password)  # before the session touches the pool
    reset_token, user = await password_reset.find_reset_account(session, token=body.token)
    refuse_password_that_is_the_email(body.new_password, user.email, field="new_password")
    await password_reset.reset_password(session, reset_token, hashed_password=hashed_password)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(422))
async def log_out(body: RefreshTokenBody, session: DbSession) -> None:
    """Revoke the refresh token and every token rotated from the same login."""
    await service.log_out(session, refresh_token=body.refresh_token)
