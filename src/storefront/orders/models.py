import uuid
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.shared.models import Base, Timestamps, UUIDPrimaryKey, string_enum


class OrderStatus(StrEnum):
    PLACED = "placed"
    CANCELLED = "cancelled"
    FULFILLED = "fulfilled"


class Order(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "orders"
    __table_args__ = (
        # A customer's orders, newest first (ids are time-ordered).
        Index("ix_orders_user_id_id", "user_id", "id"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[OrderStatus] = mapped_column(
        *string_enum(OrderStatus, "status"), default=OrderStatus.PLACED
    )
    total_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(String(1000))

    lines: Mapped[list["OrderLine"]] = relationship(
        lazy="raise", order_by="OrderLine.position", cascade="all, delete-orphan"
    )


class OrderLine(UUIDPrimaryKey, Base):
    """A product as it was sold: its names and price are copied, not looked up later."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id"),
        CheckConstraint("quantity BETWEEN 1 AND 1000", name="quantity_in_range"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int]
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit_price_cents: Mapped[int]
    quantity: Mapped[int]
    line_total_cents: Mapped[int] = mapped_column(BigInteger)
