from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from storefront.shared.text import Email, Text
from storefront.users.schemas import NewPassword


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str


class RefreshTokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[str, Text(min_length=1, max_length=256)]


class PasswordResetRequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


class PasswordResetAccepted(BaseModel):
    detail: str = "If an active account has this email, a reset link is on its way to it."


class PasswordResetConfirmBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, Text(min_length=1, max_length=256)]
    new_password: NewPassword
