"""Hand-written reads for hot paths (see `RawConnections`); checked against the ORM in tests."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from storefront.catalog.schemas import ProductRead

COLUMNS = (
    "id, sku, name, description, price_cents, currency, stock, version,"
    " archived_at, created_at, updated_at"
)
# Each sort's column, and the type a cursor's value for it is compared as.
SORTS = {
    "created_at": ("created_at", "timestamptz"),
    "price": ("price_cents", "integer"),
    "name": ("name", "varchar"),
}
_products = TypeAdapter(list[ProductRead])


async def fetch_product(connection: Any, product_id: uuid.UUID) -> ProductRead | None:
    query = f"SELECT {COLUMNS} FROM products WHERE id = $1"  # noqa: S608 - constants only
    row = await connection.fetchrow(query, product_id)
    return None if row is None else ProductRead.model_validate(dict(row))


async def fetch_products(
    connection: Any,
    *,
    limit: int,
    sort: str,
    after: tuple[datetime | int | str, uuid.UUID] | None = None,
    q: str | None = None,
    min_price: int | None = None,
    max_price: int | None = None,
    include_archived: bool = False,
) -> list[ProductRead]:
    """A page of the catalog in `sort` order ("-" for descending), id breaking ties,
    after the key `after`: what the listing's indexes serve (one per sort, archived
    products left out; trigram indexes for `q`, which matches any part of the name
    or sku, case-insensitively)."""
    arguments: list[Any] = []

    def argument(value: Any) -> str:
        arguments.append(value)
        return f"${len(arguments)}"

    conditions = [] if include_archived else ["archived_at IS NULL"]
    if q is not None:
        pattern = argument(f"%{_escape_like(q.lower())}%")
        conditions.append(
            f"(lower(name) LIKE {pattern} ESCAPE '/' OR lower(sku) LIKE {pattern} ESCAPE '/')"
        )
    if min_price is not None:
        conditions.append(f"price_cents >= {argument(min_price)}")
    if max_price is not None:
        conditions.append(f"price_cents <= {argument(max_price)}")
    column, column_type = SORTS[sort.removeprefix("-")]
    descending = sort.startswith("-")
    if after is not None:
        value, last_id = after
        key = f"({argument(value)}::{column_type}, {argument(last_id)}::uuid)"
        conditions.append(f"({column}, id) {'<' if descending else '>'} {key}")
    order = f"{column} DESC, id DESC" if descending else f"{column}, id"
    where = " AND ".join(conditions) or "true"
    # Built from fixed fragments only; every value is a $n parameter.
    query = f"SELECT {COLUMNS} FROM products WHERE {where} ORDER BY {order}"  # noqa: S608
    rows = await connection.fetch(f"{query} LIMIT {argument(limit)}", *arguments)
    return _products.validate_python([dict(row) for row in rows])


def _escape_like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")
