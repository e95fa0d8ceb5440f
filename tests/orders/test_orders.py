from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.passwords import PasswordHasher
from storefront.catalog.models import Product
from storefront.orders.models import Order
from storefront.shared.ids import format_typeid, uuid7
from storefront.users.models import User
from tests.factories import (
    bearer,
    create_product,
    create_user,
    every_page,
    log_in_tokens,
    order_body,
    product_url,
)

ORDERS = "/api/v1/orders"


async def place(
    client: AsyncClient, headers: dict[str, str], body: dict[str, Any], key: str | None = None
) -> Response:
    return await client.post(
        ORDERS, json=body, headers=headers | {"Idempotency-Key": key or uuid7().hex}
    )


async def stock_of(session: AsyncSession, product: Product) -> int | None:
    return await session.scalar(select(Product.stock).where(Product.id == product.id))


async def order_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Order)) or 0


async def test_placing_an_order_captures_prices_and_takes_stock(
    client: AsyncClient,
    session: AsyncSession,
    customer: User,
    customer_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    mug = await create_product(session, name="Mug", sku="MUG", price_cents=1250, stock=5)
    tea = await create_product(session, name="Tea", sku="TEA", price_cents=399, stock=10)

    response = await place(client, customer_headers, order_body((mug, 2), (tea, 3), note="Gift"))

    assert response.status_code == 201
    order = response.json()
    assert order["id"].startswith("ord_")
    assert response.headers["location"] == f"{ORDERS}/{order['id']}"
    assert order["user_id"] == format_typeid("user", customer.id)
    assert (order["status"], order["currency"], order["note"]) == ("placed", "USD", "Gift")
    assert order["items"] == [
        {
            "product_id": format_typeid("prod", mug.id),
            "sku": "MUG",
            "name": "Mug",
            "unit_price_cents": 1250,
            "quantity": 2,
            "line_total_cents": 2500,
        },
        {
            "product_id": format_typeid("prod", tea.id),
            "sku": "TEA",
            "name": "Tea",
            "unit_price_cents": 399,
            "quantity": 3,
            "line_total_cents": 1197,
        },
    ]
    assert order["total_cents"] == 3697
    assert (await stock_of(session, mug), await stock_of(session, tea)) == (3, 7)

    # A later price change does not touch the order.
    etag = (await client.get(product_url(mug))).headers["etag"]
    await client.patch(
        product_url(mug), json={"price_cents": 9999}, headers=admin_headers | {"If-Match": etag}
    )
    # The response was made from what was written, without reading it back: it is
    # the order exactly as it reads now.
    again = await client.get(f"{ORDERS}/{order['id']}", headers=customer_headers)
    assert again.json() == order


async def test_insufficient_stock_names_every_short_product_and_reserves_nothing(
    client: AsyncClient, session: AsyncSession, customer_headers: dict[str, str]
) -> None:
    plenty = await create_product(session, stock=50)
    few = await create_product(session, stock=2)
    none = await create_product(session, stock=0)

    response = await place(client, customer_headers, order_body((plenty, 5), (few, 3), (none, 1)))

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert body["shortages"] == [
        {"product_id": format_typeid("prod", few.id), "requested": 3, "available": 2},
        {"product_id": format_typeid("prod", none.id), "requested": 1, "available": 0},
    ]
    assert [await stock_of(session, p) for p in (plenty, few, none)] == [50, 2, 0]
    assert await order_count(session) == 0


async def test_unknown_and_archived_products_are_422_pointing_at_their_line(
    client: AsyncClient,
    session: AsyncSession,
    customer_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    sold = await create_product(session, stock=5)
    archived = await create_product(session, stock=5)
    await client.delete(
        f"/api/v1/products/{format_typeid('prod', archived.id)}", headers=admin_headers
    )
    body = order_body((sold, 1), (archived, 1))
    body["items"].append({"product_id": format_typeid("prod", uuid7()), "quantity": 1})

    response = await place(client, customer_headers, body)

    assert response.status_code == 422
    assert response.json()["code"] == "product_unavailable"
    locations = [error["location"] for error in response.json()["errors"]]
    assert locations == [["body", "items", 1, "product_id"], ["body", "items", 2, "product_id"]]
    assert await stock_of(session, sold) == 5


async def test_mixed_currencies_are_422(
    client: AsyncClient, session: AsyncSession, customer_headers: dict[str, str]
) -> None:
    dollars = await create_product(session, currency="USD")
    euros = await create_product(session, currency="EUR")

    response = await place(client, customer_headers, order_body((dollars, 1), (euros, 1)))

    assert response.status_code == 422
    assert response.json()["code"] == "mixed_currencies"
    assert await stock_of(session, dollars) == 10


@pytest.mark.parametrize(
    "items",
    [
        [],
        [{"product_id": "PRODUCT", "quantity": 1}] * 51,
        [{"product_id": "prod_01h455vb4pex5vsknk084sn02q", "quantity": 0}],
        [{"product_id": "prod_01h455vb4pex5vsknk084sn02q", "quantity": 1001}],
        [{"product_id": "prod_01h455vb4pex5vsknk084sn02q", "quantity": 1.5}],
        [{"product_id": "user_01h455vb4pex5vsknk084sn02q", "quantity": 1}],
        [{"product_id": "prod_01h455vb4pex5vsknk084sn02q"}],
        [{"product_id": "prod_01h455vb4pex5vsknk084sn02q", "quantity": 1}] * 2,
    ],
    ids=[
        "no-lines",
        "51-lines",
        "zero",
        "too-many",
        "fractional",
        "wrong-prefix",
        "no-quantity",
        "same-product-twice",
    ],
)
async def test_malformed_orders_are_422(
    client: AsyncClient, customer_headers: dict[str, str], items: list[dict[str, Any]]
) -> None:
    response = await place(client, customer_headers, {"items": items})

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


async def test_orders_need_a_login(client: AsyncClient, session: AsyncSession) -> None:
    product = await create_product(session)

    response = await client.post(
        ORDERS, json=order_body((product, 1)), headers={"Idempotency-Key": "k"}
    )

    assert response.status_code == 401


async def test_reading_orders_is_for_their_owner_and_admins(
    client: AsyncClient,
    session: AsyncSession,
    hasher: PasswordHasher,
    customer_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    product = await create_product(session)
    order = (await place(client, customer_headers, order_body((product, 1)))).json()
    stranger = await create_user(session, hasher)
    stranger_headers = bearer((await log_in_tokens(client, stranger.email))["access_token"])
    url = f"{ORDERS}/{order['id']}"

    assert (await client.get(url, headers=customer_headers)).json() == order
    assert (await client.get(url, headers=admin_headers)).json() == order
    hidden = await client.get(url, headers=stranger_headers)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "order_not_found"
    unknown = await client.get(f"{ORDERS}/{format_typeid('ord', uuid7())}", headers=admin_headers)
    assert unknown.status_code == 404
    assert (await client.get(f"{ORDERS}/prod_x", headers=admin_headers)).status_code == 422


async def test_listing_orders_newest_first_own_only_admins_everyone(
    client: AsyncClient,
    session: AsyncSession,
    hasher: PasswordHasher,
    customer: User,
    customer_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    product = await create_product(session, stock=100)
    other = await create_user(session, hasher)
    other_headers = bearer((await log_in_tokens(client, other.email))["access_token"])
    mine = [
        (await place(client, customer_headers, order_body((product, 1)))).json()["id"]
        for _ in range(3)
    ]
    theirs = (await place(client, other_headers, order_body((product, 1)))).json()["id"]

    customer_id = format_typeid("user", customer.id)
    assert await every_page(client, ORDERS, customer_headers, limit=2) == mine[::-1]
    assert await every_page(client, ORDERS, admin_headers, limit=2) == [theirs, *mine[::-1]]
    by_user = await every_page(client, ORDERS, admin_headers, limit=2, user_id=customer_id)
    assert by_user == mine[::-1]
    forbidden = await client.get(
        ORDERS, params={"user_id": format_typeid("user", other.id)}, headers=customer_headers
    )
    assert forbidden.status_code == 403


async def test_cancelling_restores_stock_once(
    client: AsyncClient, session: AsyncSession, customer_headers: dict[str, str]
) -> None:
    product = await create_product(session, stock=5)
    order = (await place(client, customer_headers, order_body((product, 4)))).json()
    cancel = f"{ORDERS}/{order['id']}/cancel"

    first = await client.post(cancel, headers=customer_headers)
    second = await client.post(cancel, headers=customer_headers)

    assert first.status_code == 200
    assert first.json()["status"] == "cancelled"
    assert second.status_code == 409
    assert second.json()["code"] == "invalid_transition"
    assert await stock_of(session, product) == 5


async def test_fulfilment_is_for_admins_and_ends_cancellation(
    client: AsyncClient,
    session: AsyncSession,
    customer_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    product = await create_product(session, stock=5)
    order = (await place(client, customer_headers, order_body((product, 1)))).json()
    fulfil, cancel = f"{ORDERS}/{order['id']}/fulfil", f"{ORDERS}/{order['id']}/cancel"

    assert (await client.post(fulfil, headers=customer_headers)).status_code == 403
    fulfilled = await client.post(fulfil, headers=admin_headers)
    assert fulfilled.json()["status"] == "fulfilled"
    assert (await client.post(cancel, headers=customer_headers)).status_code == 409
    assert (await client.post(fulfil, headers=admin_headers)).status_code == 409
    assert await stock_of(session, product) == 4


async def test_others_cannot_cancel_your_order(
    client: AsyncClient,
    session: AsyncSession,
    hasher: PasswordHasher,
    customer_headers: dict[str, str],
) -> None:
    product = await create_product(session, stock=5)
    order = (await place(client, customer_headers, order_body((product, 1)))).json()
    stranger = await create_user(session, hasher)
    stranger_headers = bearer((await log_in_tokens(client, stranger.email))["access_token"])

    response = await client.post(f"{ORDERS}/{order['id']}/cancel", headers=stranger_headers)

    assert response.status_code == 404
    assert await stock_of(session, product) == 4
