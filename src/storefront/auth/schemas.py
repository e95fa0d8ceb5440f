from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from storefront.shared.text import Text


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str


class RefreshTokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[str, Text(min_length=1, max_length=256)]
