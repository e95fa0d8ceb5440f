"""Many requests at once, each in its own real transaction, against one PostgreSQL."""

import asyncio
from collections import Counter

from fastapi import FastAPI

from storefront.idempotency import service as idempotency
from storefront.shared.ids import format_typeid, uuid7
from tests.conftest import client_for
from tests.factories import bearer, every_page, log_in_tokens, order_body
from tests.orders.conftest import LiveShop

ORDERS = "/api/v1/orders"


async def test_fifty_orders_for_ten_units_place_exactly_ten(
    app: FastAPI, live_shop: LiveShop
) -> None:
    product = await live_shop.product(stock=10)
    customer = await live_shop.customer()
    async with client_for(app) as client:
        headers = bearer((await log_in_tokens(client, customer.email))["access_token"])
        responses = await asyncio.gather(
            *(
                client.post(
                    ORDERS,
                    json=order_body((product, 1)),
                    headers=headers | {"Idempotency-Key": uuid7().hex},
                )
                for _ in range(50)
            )
        )

    outcomes = Counter(
        (response.status_code, response.json().get("code")) for response in responses
    )
    assert outcomes == {(201, None): 10, (409, "insufficient_stock"): 40}
    assert await live_shop.stock_of(product) == 0
    assert len(await live_shop.orders_of(customer)) == 10


async def test_twenty_requests_with_one_key_place_one_order(
    app: FastAPI, live_shop: LiveShop
) -> None:
    product = await live_shop.product(stock=100)
    customer = await live_shop.customer()
    async with client_for(app) as client:
        headers = bearer((await log_in_tokens(client, customer.email))["access_token"])
        headers |= {"Idempotency-Key": "same-key"}
        responses = await asyncio.gather(
            *(
                client.post(ORDERS, json=order_body((product, 3)), headers=headers)
                for _ in range(20)
            )
        )

    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}
    assert statuses[201] >= 1
    created = {response.json()["id"] for response in responses if response.status_code == 201}
    assert len(created) == 1
    assert len(await live_shop.orders_of(customer)) == 1
    assert await live_shop.stock_of(product) == 97


async def test_a_key_in_use_is_409_at_once_and_free_again_when_its_request_fails(
    app: FastAPI, live_shop: LiveShop
) -> None:
    product = await live_shop.product(stock=5)
    customer = await live_shop.customer()
    body = order_body((product, 1))
    async with client_for(app) as client:
        headers = bearer((await log_in_tokens(client, customer.email))["access_token"])
        headers |= {"Idempotency-Key": "shared"}
        # Another request holds the key in its unfinished unit of work.
        async with app.state.sessionmaker() as first:
            await idempotency.claim(
                first, user_id=customer.id, key="shared", request_hash=idempotency.fingerprint(body)
            )
            async with asyncio.timeout(5):  # it must not wait for the first
                busy = await client.post(ORDERS, json=body, headers=headers)
            await first.rollback()  # the first request failed
        retried = await client.post(ORDERS, json=body, headers=headers)

    assert (busy.status_code, busy.json()["code"]) == (409, "idempotency_key_in_progress")
    assert retried.status_code == 201
    assert len(await live_shop.orders_of(customer)) == 1


async def test_concurrent_cancels_restore_stock_once(app: FastAPI, live_shop: LiveShop) -> None:
    product = await live_shop.product(stock=10)
    customer = await live_shop.customer()
    async with client_for(app) as client:
        headers = bearer((await log_in_tokens(client, customer.email))["access_token"])
        placed = await client.post(
            ORDERS, json=order_body((product, 4)), headers=headers | {"Idempotency-Key": "k"}
        )
        cancel = f"{ORDERS}/{placed.json()['id']}/cancel"
        responses = await asyncio.gather(*(client.post(cancel, headers=headers) for _ in range(10)))

    assert sorted(response.status_code for response in responses) == [200] + [409] * 9
    assert await live_shop.stock_of(product) == 10


async def test_pages_stay_consistent_while_products_are_being_added(
    app: FastAPI, live_shop: LiveShop
) -> None:
    marker = uuid7().hex[-8:]
    existing = [
        await live_shop.product(name=f"Live {marker} {n}", price_cents=10 * n) for n in range(30)
    ]

    async def add_products() -> None:
        for n in range(30):
            await live_shop.product(name=f"Live {marker} new {n}", price_cents=5 * n + 1)
            await asyncio.sleep(0)

    async def read_all_pages(sort: str) -> list[str]:
        async with client_for(app) as client:
            return await every_page(client, "/api/v1/products", q=marker, sort=sort, limit=4)

    _, by_price, newest_first = await asyncio.gather(
        add_products(), read_all_pages("price"), read_all_pages("-created_at")
    )

    for seen in (by_price, newest_first):
        assert len(seen) == len(set(seen))  # nothing repeated
        assert {format_typeid("prod", product.id) for product in existing} <= set(seen)
