"""Every domain's models, imported so `Base.metadata` is complete (Atlas, the shell)."""

from storefront.auth.models import LoginFailure, RefreshToken
from storefront.shared.models import Base
from storefront.users.models import User

__all__ = ["Base", "LoginFailure", "RefreshToken", "User"]
