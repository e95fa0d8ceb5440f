"""Hand-written reads for hot paths (see `RawConnections`); checked against the ORM in tests."""

import uuid
from typing import Any

from storefront.catalog.schemas import ProductRead


async def fetch_product(connection: Any, product_id: uuid.UUID) -> ProductRead | None:
    row = await connection.fetchrow(
        "SELECT id, sku, name, description, price_cents, currency, stock, version,"
        " archived_at, created_at, updated_at FROM products WHERE id = $1",
        product_id,
    )
    return None if row is None else ProductRead.model_validate(dict(row))
