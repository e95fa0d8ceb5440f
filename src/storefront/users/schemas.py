import uuid
from datetime import datetime
from typing import Annotated, Self

from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from storefront.shared.ids import TypeId
from storefront.shared.pagination import PageQuery
from storefront.shared.schemas import PatchModel
from storefront.shared.text import EMAIL_MAX_LENGTH, Email, Text, fold_email
from storefront.users.models import UserRole

UserId = Annotated[uuid.UUID, TypeId("user")]

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128


def _mixes_character_classes(password: str) -> str:
    classes = (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    if sum(any(is_class(c) for c in password) for is_class in classes) < 2:
        raise ValueError(
            "Password must mix at least two of: lower case, upper case, digits, other characters"
        )
    return password


def check_password_is_not_email(password: str, email: str) -> None:
    if password.strip().casefold() == email.strip().casefold():
        raise ValueError("Password must not be the email address")


def refuse_password_that_is_the_email(password: str, email: str, *, field: str) -> None:
    """The same check for a request whose email is not in its body: a 422 on `field`."""
    try:
        check_password_is_not_email(password, email)
    except ValueError as exc:
        raise RequestValidationError(
            [{"loc": ("body", field), "msg": str(exc), "type": "value_error"}]
        ) from None


# Passwords are kept as typed (no stripping), but NFC-normalised like all text, so
# the same password typed on another device still matches.
Password = Annotated[str, Text(max_length=PASSWORD_MAX_LENGTH, strip=False)]
NewPassword = Annotated[
    str,
    Text(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH, strip=False),
    AfterValidator(_mixes_character_classes),
]
FullName = Annotated[str, Text(min_length=1, max_length=200)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: NewPassword
    full_name: FullName

    @field_validator("password")
    @classmethod
    def password_is_not_the_email(cls, password: str, info: ValidationInfo) -> str:
        if email := info.data.get("email"):  # absent when the email itself was invalid
            check_password_is_not_email(password, email)
        return password


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UserId
    email: str
    full_name: str
    role: UserRole
    is_active: bool
    created_at: datetime


class MeUpdate(PatchModel):
    """Changing `password` requires `current_password`."""

    full_name: FullName | None = None
    password: NewPassword | None = None
    current_password: Password | None = None

    @model_validator(mode="after")
    def current_password_comes_with_a_new_one(self) -> Self:
        if self.password is not None and self.current_password is None:
            raise ValueError("current_password is required to change the password")
        return self


class UserAdminUpdate(PatchModel):
    full_name: FullName | None = None
    role: UserRole | None = None
    # JSON booleans only: lax parsing would take 0 or "no" for false.
    is_active: StrictBool | None = None


class UserFilters(PageQuery):
    role: UserRole | None = None
    is_active: bool | None = None
    email_prefix: (
        Annotated[str, Text(min_length=1, max_length=EMAIL_MAX_LENGTH, normalize=fold_email)] | None
    ) = None
