import uuid
from datetime import UTC, datetime, timedelta
from itertools import product as combinations
from typing import Any

import pytest
from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog import service
from storefront.catalog.models import Product
from storefront.catalog.repository import fetch_product, fetch_products
from storefront.catalog.schemas import ProductRead
from storefront.shared.ids import uuid7
from tests.factories import create_product


async def test_fetch_product_agrees_with_the_orm(
    session: AsyncSession, raw_connection: Any
) -> None:
    product = await create_product(session, description="Hand-thrown.", currency="EUR")
    await session.refresh(product)

    assert await fetch_product(raw_connection, product.id) == ProductRead.model_validate(product)
    assert await fetch_product(raw_connection, uuid7()) is None


SORT_COLUMNS = {
    "created_at": Product.created_at,
    "price": Product.price_cents,
    "name": Product.name,
}


async def list_with_the_orm(
    session: AsyncSession,
    *,
    limit: int,
    sort: str,
    after: tuple[Any, uuid.UUID] | None,
    q: str | None,
    min_price: int | None,
    max_price: int | None,
    include_archived: bool,
) -> list[ProductRead]:
    """The listing as the ORM writes it: what the hand-written SQL must return."""
    descending = sort.startswith("-")
    column = SORT_COLUMNS[sort.removeprefix("-")]
    query = select(Product)
    if not include_archived:
        query = query.where(Product.archived_at.is_(None))
    if q is not None:
        query = query.where(
            or_(
                func.lower(Product.name).contains(q.lower(), autoescape=True),
                func.lower(Product.sku).contains(q.lower(), autoescape=True),
            )
        )
    if min_price is not None:
        query = query.where(Product.price_cents >= min_price)
    if max_price is not None:
        query = query.where(Product.price_cents <= max_price)
    if after is not None:
        key, last = tuple_(column, Product.id), tuple_(*after)
        query = query.where(key < last if descending else key > last)
    order = (column.desc(), Product.id.desc()) if descending else (column, Product.id)
    products = await session.scalars(query.order_by(*order).limit(limit))
    return [ProductRead.model_validate(product) for product in products]


@pytest.fixture
async def catalog(session: AsyncSession) -> list[Product]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    names = ["Mug", "mug", "50% off_mug/2", "Lamp", "Lamp", "Zebra rug", "Émail", "Mug"]
    products = [
        await create_product(
            session,
            name=name,
            price_cents=[500, 1999, 500, 0, 1999, 7500, 500, 100][number],
            created_at=start + timedelta(minutes=number % 3),
        )
        for number, name in enumerate(names)
    ]
    products[5].archived_at = start
    await session.flush()
    for product in products:
        await session.refresh(product)
    return products


@pytest.mark.parametrize(
    ("sort", "filters"),
    list(
        combinations(
            ["created_at", "-created_at", "price", "-price", "name"],
            [
                {},
                {"q": "MUG"},
                {"q": "% off_"},
                {"q": "/"},
                {"q": "_"},
                {"q": "sku-"},
                {"min_price": 500, "max_price": 1999},
                {"include_archived": True},
            ],
        )
    ),
)
async def test_fetch_products_agrees_with_the_orm_on_every_page(
    session: AsyncSession,
    raw_connection: Any,
    catalog: list[Product],
    sort: str,
    filters: dict[str, Any],
) -> None:
    arguments: dict[str, Any] = {
        "q": None,
        "min_price": None,
        "max_price": None,
        "include_archived": False,
    } | filters
    after = None
    pages = 0
    while True:
        expected = await list_with_the_orm(session, limit=3, sort=sort, after=after, **arguments)
        fetched = await fetch_products(raw_connection, limit=3, sort=sort, after=after, **arguments)
        assert fetched == expected, (sort, filters, after)
        pages += 1
        if len(fetched) < 3:
            break
        after = service.sort_key_of(service.position_of(fetched[-1], sort), sort)
    assert pages >= 1
