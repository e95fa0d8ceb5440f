"""Products and their stock. Other domains use `reserve_stock` / `release_stock`, inside
their own unit of work, never the products table."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from sqlalchemy import ARRAY, Integer, Table, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from storefront.catalog import repository
from storefront.catalog.exceptions import (
    InsufficientStockError,
    ProductNotFoundError,
    ProductsUnavailableError,
    SkuTakenError,
)
from storefront.catalog.models import Product
from storefront.catalog.schemas import ProductPosition
from storefront.shared.exceptions import PreconditionFailedError
from storefront.shared.ids import format_typeid


@dataclass(frozen=True)
class ProductSnapshot:
    """What an order keeps of a product: its price and names at the time of ordering."""

    id: uuid.UUID
    sku: str
    name: str
    price_cents: int
    currency: str


async def create_product(session: AsyncSession, **fields: Any) -> Product:
    product = Product(**fields)
    try:
        async with session.begin_nested():
            session.add(product)
    except IntegrityError as exc:
        raise SkuTakenError(f"Another product has SKU {fields['sku']}.") from exc
    return product


async def get_product(session: AsyncSession, product_id: uuid.UUID) -> Product:
    product = await session.get(Product, product_id)
    if product is None:
        raise ProductNotFoundError("No product has this id.")
    return product


class Listed(Protocol):
    """What a listing sorts on; the model and its read schema both have it."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def price_cents(self) -> int: ...
    @property
    def name(self) -> str: ...


def position_of(product: Listed, sort: str) -> ProductPosition:
    """Where `product` stands in a listing by `sort`."""
    return ProductPosition(
        value=getattr(product, repository.SORTS[sort.removeprefix("-")][0]), id=product.id
    )


def sort_key_of(position: ProductPosition, sort: str) -> tuple[Any, uuid.UUID]:
    """The keyset to continue after; a cursor is bound to its sort, so the value's
    type is that sort's (timestamps travel as ISO 8601 text)."""
    value = position.value
    if sort.removeprefix("-") == "created_at" and isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value, position.id


async def update_product(
    session: AsyncSession,
    product_id: uuid.UUID,
    *,
    expected_versions: set[int],
    changes: dict[str, Any],
) -> Product:
    """Apply `changes` only if the product is still at one of `expected_versions`."""
    product = await get_product(session, product_id)
    if product.version not in expected_versions:
        raise PreconditionFailedError("The product changed since you read it; fetch it again.")
    for name, value in changes.items():
        setattr(product, name, value)
    try:
        # The UPDATE also checks the version, so a concurrent change between
        # our read and this write fails here instead of being overwritten.
        async with session.begin_nested():
            await session.flush()
    except StaleDataError as exc:
        raise PreconditionFailedError("The product changed since you read it.") from exc
    except IntegrityError as exc:
        raise SkuTakenError(f"Another product has SKU {changes.get('sku')}.") from exc
    return product


async def archive_product(session: AsyncSession, product_id: uuid.UUID) -> None:
    """Hide the product from the catalog and from new orders; past orders keep it."""
    product = await get_product(session, product_id)
    if product.archived_at is None:
        product.archived_at = datetime.now(UTC)
        await session.flush()


async def reserve_stock(
    session: AsyncSession, quantities: Mapping[uuid.UUID, int]
) -> dict[uuid.UUID, ProductSnapshot]:
    """Take `quantities` out of stock, all or nothing, and return what was taken.

    Raises ProductsUnavailableError for unknown or archived products and
    InsufficientStockError naming every short product; the caller's unit of work
    then rolls back, so nothing stays reserved.
    """
    rows = (
        await session.execute(
            _TAKE_FOR_ORDER,
            {"product_ids": list(quantities), "quantities": list(quantities.values())},
        )
    ).all()
    products = {row.id: row for row in rows}
    unavailable = [
        product_id
        for product_id in quantities
        if product_id not in products or products[product_id].archived_at is not None
    ]
    if unavailable:
        raise ProductsUnavailableError(unavailable)
    shortages = [
        {
            "product_id": format_typeid("prod", product_id),
            "requested": quantity,
            "available": products[product_id].stock,
        }
        for product_id, quantity in quantities.items()
        if products[product_id].stock < quantity
    ]
    if shortages:
        raise InsufficientStockError(shortages)
    return {
        row.id: ProductSnapshot(row.id, row.sku, row.name, row.price_cents, row.currency)
        for row in rows
    }


async def release_stock(session: AsyncSession, quantities: Mapping[uuid.UUID, int]) -> None:
    """Put reserved quantities back (a cancelled order), archived products included."""
    await _change_stock(session, quantities)


async def _change_stock(session: AsyncSession, changes: Mapping[uuid.UUID, int]) -> None:
    await session.execute(
        _CHANGE_STOCK,
        [
            {"product_id": product_id, "change": change}
            for product_id, change in sorted(changes.items())
        ],
    )


# Every order runs these: built once, so each execution skips building the statement
# and its cache key, and on the table, so the session runs them as plain SQL without
# the ORM's handling of entity statements (POST /orders, task bench).
_PRODUCTS = cast(Table, Product.__table__)
_STOCK_CHANGE = {
    "stock": _PRODUCTS.c.stock + bindparam("change"),
    # A stock change is a new representation: the ETag must change too.
    "version": _PRODUCTS.c.version + 1,
    "updated_at": func.now(),
}
# Locks the wanted rows and takes the stock in one round trip, only when every product
# is sold and has enough: the statement returns the rows as they were, from which
# reserve_stock names what is missing. Locking in id order makes concurrent orders
# for the same products queue behind each other instead of deadlocking.
_WANTED = (
    func.unnest(
        bindparam("product_ids", type_=ARRAY(_PRODUCTS.c.id.type)),
        bindparam("quantities", type_=ARRAY(Integer)),
    )
    .table_valued("id", "quantity")
    .render_derived("wanted")
)
_LOCKED = (
    select(
        _PRODUCTS.c.id,
        _PRODUCTS.c.sku,
        _PRODUCTS.c.name,
        _PRODUCTS.c.price_cents,
        _PRODUCTS.c.currency,
        _PRODUCTS.c.stock,
        _PRODUCTS.c.archived_at,
        _WANTED.c.quantity,
    )
    .join_from(_PRODUCTS, _WANTED, _WANTED.c.id == _PRODUCTS.c.id)
    .order_by(_PRODUCTS.c.id)
    .with_for_update(of=_PRODUCTS)
    .cte("locked")
)
_ALL_AVAILABLE = select(func.count()).where(
    _LOCKED.c.archived_at.is_(None), _LOCKED.c.stock >= _LOCKED.c.quantity
).scalar_subquery() == func.cardinality(bindparam("product_ids"))
_TAKE_FOR_ORDER = select(_LOCKED).add_cte(
    update(_PRODUCTS)
    .where(_PRODUCTS.c.id == _LOCKED.c.id, _ALL_AVAILABLE)
    .values(_STOCK_CHANGE | {"stock": _PRODUCTS.c.stock - _LOCKED.c.quantity})
    .cte("taken")
)
_CHANGE_STOCK = (
    update(_PRODUCTS).where(_PRODUCTS.c.id == bindparam("product_id")).values(_STOCK_CHANGE)
)
