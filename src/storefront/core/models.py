"""Every domain's models, imported so `Base.metadata` is complete (Atlas, the shell)."""

from storefront.auth.models import (
    KnownLoginAddress,
    LoginFailure,
    PasswordResetRequest,
    PasswordResetToken,
    RefreshToken,
)
from storefront.catalog.models import Product
from storefront.idempotency.models import IdempotencyRecord
from storefront.mail.models import MailDelivery
from storefront.orders.models import Order, OrderLine
from storefront.shared.models import Base
from storefront.users.models import User

# PostgreSQL extensions the models need. Atlas does not manage extensions: a
# migration creates each (written by hand), and the DDL printer declares them.
EXTENSIONS = ["pg_trgm"]

__all__ = [
    "Base",
    "IdempotencyRecord",
    "KnownLoginAddress",
    "LoginFailure",
    "MailDelivery",
    "Order",
    "OrderLine",
    "PasswordResetRequest",
    "PasswordResetToken",
    "Product",
    "RefreshToken",
    "User",
]
