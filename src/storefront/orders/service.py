"""Orders. Stock is taken and given back through the catalog's service, in the same
unit of work as the order, so both commit together or not at all."""

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ARRAY, ColumnElement, Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from storefront.catalog import service as catalog_service
from storefront.catalog.exceptions import ProductsUnavailableError
from storefront.core import metrics
from storefront.core.database import TransactionFactory
from storefront.idempotency import service as idempotency
from storefront.orders.exceptions import (
    InvalidTransitionError,
    MixedCurrenciesError,
    OrderNotFoundError,
)
from storefront.orders.jobs import send_order_confirmation
from storefront.orders.models import Order, OrderLine, OrderStatus
from storefront.orders.schemas import OrderCreate, OrderRead
from storefront.shared.ids import uuid7
from storefront.users.models import UserRole
from storefront.users.repository import Account


async def place_order(
    session: AsyncSession, *, user_id: uuid.UUID, order: OrderCreate
) -> OrderRead:
    quantities = {item.product_id: item.quantity for item in order.items}
    try:
        products = await catalog_service.reserve_stock(session, quantities)
    except ProductsUnavailableError as exc:
        positions = {item.product_id: index for index, item in enumerate(order.items)}
        exc.extensions["errors"] = [
            {
                "location": ["body", "items", positions[product_id], "product_id"],
                "message": "This product does not exist or is no longer sold.",
                "type": exc.code,
            }
            for product_id in exc.product_ids
        ]
        raise
    currencies = {product.currency for product in products.values()}
    if len(currencies) > 1:
        raise MixedCurrenciesError(
            f"An order is paid in one currency; these products use {sorted(currencies)}."
        )
    order_id = uuid7()
    lines: list[dict[str, Any]] = [
        {
            "id": uuid7(),
            "order_id": order_id,
            "position": position,
            "product_id": item.product_id,
            "sku": products[item.product_id].sku,
            "name": products[item.product_id].name,
            "unit_price_cents": products[item.product_id].price_cents,
            "quantity": item.quantity,
            "line_total_cents": products[item.product_id].price_cents * item.quantity,
        }
        for position, item in enumerate(order.items)
    ]
    placed = {
        "id": order_id,
        "user_id": user_id,
        "status": OrderStatus.PLACED,
        "total_cents": sum(line["line_total_cents"] for line in lines),
        "currency": currencies.pop(),
        "note": order.note,
    }
    created_at = await session.scalar(
        _INSERT_ORDER_AND_LINES,
        placed | {f"lines_{column}": [line[column] for line in lines] for column in _LINE_COLUMNS},
    )
    await send_order_confirmation.enqueue(session, order_id=order_id)
    return OrderRead.model_validate(placed | {"lines": lines, "created_at": created_at})


# Placing an order writes it and its lines in one statement, built once: the ORM's
# unit of work (object states, the dependency sort, the identity map) was a fifth of
# POST /orders' CPU, nothing in the request uses the objects again, and each
# statement costs a round trip and ~7 % of the endpoint (task bench). The lines
# come as one array per column, so every order size runs the same statement.
_ORDERS = cast(Table, Order.__table__)
_ORDER_LINES = cast(Table, OrderLine.__table__)
# The database stamps the times; every other column comes from `placed`.
_PLACED_COLUMNS = [column.name for column in _ORDERS.c if column.server_default is None]
_LINE_COLUMNS = [column.name for column in _ORDER_LINES.c]
_NEW_LINES = (
    func.unnest(
        *(
            bindparam(f"lines_{name}", type_=ARRAY(_ORDER_LINES.c[name].type))
            for name in _LINE_COLUMNS
        )
    )
    .table_valued(*_LINE_COLUMNS)
    .render_derived("new_lines")
)
_INSERT_ORDER_AND_LINES = select(
    insert(_ORDERS)
    .values({name: bindparam(name, type_=_ORDERS.c[name].type) for name in _PLACED_COLUMNS})
    .returning(_ORDERS.c.created_at)
    .cte("placed")
    .c.created_at
).add_cte(insert(_ORDER_LINES).from_select(_LINE_COLUMNS, select(_NEW_LINES)).cte("lines"))


async def place_order_idempotently(
    transactions: TransactionFactory, *, user_id: uuid.UUID, key: str, order: OrderCreate
) -> tuple[idempotency.StoredResponse, bool]:
    """Place the order once per key: the response, and whether it is a replay.

    The key's claim, the order and the stored response are one unit of work. A
    request that fails (no stock, unknown product...) rolls its claim back with
    everything else, so retrying the same key later, say once stock is back, is
    safe and does not replay a stale refusal.
    """
    async with transactions() as session:
        stored = await idempotency.claim(
            session,
            user_id=user_id,
            key=key,
            request_hash=idempotency.fingerprint(order.model_dump(mode="json")),
        )
        if stored is not None:
            return stored, True
        placed = await place_order(session, user_id=user_id, order=order)
        response = idempotency.StoredResponse(201, placed.model_dump(mode="json"))
        await idempotency.complete(session, user_id=user_id, key=key, response=response)
    metrics.ORDERS_PLACED.inc()  # committed
    metrics.STOCK_RESERVED.inc(sum(item.quantity for item in order.items))
    return response, False


def _visible_to(viewer: Account) -> list[ColumnElement[bool]]:
    # Others' orders look like missing ones, so ids cannot be probed.
    return [] if viewer.role is UserRole.ADMIN else [Order.user_id == viewer.id]


# One round trip for an order and its lines; built once, as building loader
# options costs more than running the cached statement.
_ORDER_WITH_LINES = select(Order).options(joinedload(Order.lines))
_ORDERS_WITH_LINES = select(Order).options(selectinload(Order.lines)).order_by(Order.id.desc())


async def get_order(session: AsyncSession, order_id: uuid.UUID, *, viewer: Account) -> Order:
    order = await session.scalar(
        _ORDER_WITH_LINES.where(Order.id == order_id, *_visible_to(viewer))
    )
    if order is None:
        raise OrderNotFoundError("No order of yours has this id.")
    return order


async def list_orders(
    session: AsyncSession, *, user_id: uuid.UUID | None, limit: int, before: uuid.UUID | None
) -> Sequence[Order]:
    """Newest first (ids are time-ordered); `user_id` None lists everyone's."""
    query = _ORDERS_WITH_LINES.limit(limit)
    if user_id is not None:
        query = query.where(Order.user_id == user_id)
    if before is not None:
        query = query.where(Order.id < before)
    return (await session.scalars(query)).all()


async def cancel_order(session: AsyncSession, order_id: uuid.UUID, *, viewer: Account) -> Order:
    """Cancel a placed order and put its stock back, exactly once however many try."""
    await _transition(session, order_id, viewer=viewer, to=OrderStatus.CANCELLED)
    lines = await session.execute(
        select(OrderLine.product_id, OrderLine.quantity).where(OrderLine.order_id == order_id)
    )
    await catalog_service.release_stock(session, {line.product_id: line.quantity for line in lines})
    return await get_order(session, order_id, viewer=viewer)


async def fulfil_order(session: AsyncSession, order_id: uuid.UUID, *, viewer: Account) -> Order:
    await _transition(session, order_id, viewer=viewer, to=OrderStatus.FULFILLED)
    return await get_order(session, order_id, viewer=viewer)


async def _transition(
    session: AsyncSession, order_id: uuid.UUID, *, viewer: Account, to: OrderStatus
) -> None:
    # Conditional on the status, so of two concurrent transitions the second
    # finds the order no longer placed (after waiting for the first's row lock).
    changed = await session.scalar(
        update(Order)
        .where(Order.id == order_id, Order.status == OrderStatus.PLACED, *_visible_to(viewer))
        .values(status=to, updated_at=func.now())
        .returning(Order.id)
    )
    if changed is None:
        status = await session.scalar(
            select(Order.status).where(Order.id == order_id, *_visible_to(viewer))
        )
        if status is None:
            raise OrderNotFoundError("No order of yours has this id.")
        raise InvalidTransitionError(f"A {status.value} order cannot become {to.value}.")
