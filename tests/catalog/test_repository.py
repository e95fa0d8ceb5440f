from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.repository import fetch_product
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
