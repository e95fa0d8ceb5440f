"""Hand-written reads for hot paths (see `RawConnections`); checked against the ORM in tests."""

import json
import uuid
from typing import Any

from storefront.orders.schemas import OrderRead

# The order and its lines in one round trip, the lines as a JSON array in order (as
# text, so it arrives alike whether or not the connection decodes JSON).
ORDER_WITH_LINES = """
SELECT o.id, o.user_id, o.status, o.total_cents, o.currency, o.note, o.created_at,
       coalesce(
           json_agg(
               json_build_object(
                   'product_id', l.product_id, 'sku', l.sku, 'name', l.name,
                   'unit_price_cents', l.unit_price_cents, 'quantity', l.quantity,
                   'line_total_cents', l.line_total_cents
               ) ORDER BY l.position
           ) FILTER (WHERE l.id IS NOT NULL),
           '[]'
       )::text AS lines
FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id
WHERE o.id = $1 AND ($2::uuid IS NULL OR o.user_id = $2)
GROUP BY o.id
"""


async def fetch_order(
    connection: Any, order_id: uuid.UUID, *, owner_id: uuid.UUID | None
) -> OrderRead | None:
    """The order, if it exists and belongs to `owner_id` (None: anyone's)."""
    row = await connection.fetchrow(ORDER_WITH_LINES, order_id, owner_id)
    if row is None:
        return None
    lines = [
        {**line, "product_id": uuid.UUID(line["product_id"])} for line in json.loads(row["lines"])
    ]
    return OrderRead.model_validate({**row, "lines": lines})
