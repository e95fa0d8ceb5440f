from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from storefront.shared.models import Base, Timestamps, UUIDPrimaryKey

MAX_PRICE_CENTS = 100_000_000

# The public listing never shows archived products, so its sort indexes skip them.
LISTED = text("archived_at IS NULL")


class Product(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint(f"price_cents BETWEEN 0 AND {MAX_PRICE_CENTS}", name="price_in_range"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_is_iso_4217"),
        CheckConstraint("sku ~ '^[A-Z0-9_-]{1,64}$'", name="sku_format"),
        Index("ix_products_listed_created_at", "created_at", "id", postgresql_where=LISTED),
        Index("ix_products_listed_price", "price_cents", "id", postgresql_where=LISTED),
        Index("ix_products_listed_name", "name", "id", postgresql_where=LISTED),
        # `q` matches any part of the name or sku, case-insensitively (pg_trgm).
        Index(
            "ix_products_name_trgm",
            func.lower(text("name")).label("lower_name"),
            postgresql_using="gin",
            postgresql_ops={"lower_name": "gin_trgm_ops"},
        ),
        Index(
            "ix_products_sku_trgm",
            func.lower(text("sku")).label("lower_sku"),
            postgresql_using="gin",
            postgresql_ops={"lower_sku": "gin_trgm_ops"},
        ),
    )

    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(5000), server_default="")
    price_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int]
    archived_at: Mapped[datetime | None]
    # Bumped by every change, stock included: the ETag is derived from it.
    version: Mapped[int] = mapped_column(server_default="1")

    __mapper_args__ = {**Base.__mapper_args__, "version_id_col": version}  # noqa: RUF012
