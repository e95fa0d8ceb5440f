from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog import service as catalog_service
from storefront.catalog.exceptions import InsufficientStockError, ProductsUnavailableError
from storefront.catalog.models import Product
from storefront.shared.ids import format_typeid, uuid7
from tests.factories import create_product, product_url

PRODUCTS = "/api/v1/products"
NEW = {"sku": "MUG-01", "name": "Mug", "price_cents": 1250, "stock": 5}


async def test_reading_a_product_gives_its_etag(client: AsyncClient, session: AsyncSession) -> None:
    product = await create_product(session, name="Lamp", price_cents=4500)

    response = await client.get(product_url(product))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == format_typeid("prod", product.id)
    assert (body["name"], body["price_cents"], body["currency"]) == ("Lamp", 4500, "USD")
    assert response.headers["etag"] == f'"v{body["version"]}"'


async def test_if_none_match_with_the_current_etag_is_304_without_a_body(
    client: AsyncClient, session: AsyncSession
) -> None:
    product = await create_product(session)
    etag = (await client.get(product_url(product))).headers["etag"]

    cached = await client.get(product_url(product), headers={"If-None-Match": etag})
    stale = await client.get(product_url(product), headers={"If-None-Match": '"v999"'})
    listed = await client.get(product_url(product), headers={"If-None-Match": f'"v0", W/{etag}'})

    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    assert stale.status_code == 200
    assert listed.status_code == 304


async def test_unknown_and_malformed_product_ids(client: AsyncClient) -> None:
    unknown = await client.get(f"{PRODUCTS}/{format_typeid('prod', uuid7())}")
    wrong_prefix = await client.get(f"{PRODUCTS}/{format_typeid('user', uuid7())}")

    assert unknown.status_code == 404
    assert unknown.json()["code"] == "product_not_found"
    assert wrong_prefix.status_code == 422


async def test_admins_create_products_with_location_and_etag(
    client: AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(PRODUCTS, json=NEW, headers=admin_headers)

    assert response.status_code == 201
    body = response.json()
    assert body["currency"] == "USD"  # the shop's default
    assert response.headers["location"] == f"{PRODUCTS}/{body['id']}"
    assert response.headers["etag"] == '"v1"'
    assert (await client.get(response.headers["location"])).json() == body


async def test_a_duplicate_sku_is_409(client: AsyncClient, admin_headers: dict[str, str]) -> None:
    await client.post(PRODUCTS, json=NEW, headers=admin_headers)

    response = await client.post(PRODUCTS, json=NEW | {"name": "Other"}, headers=admin_headers)

    assert response.status_code == 409
    assert response.json()["code"] == "sku_taken"


async def test_customers_and_strangers_cannot_change_the_catalog(
    client: AsyncClient, session: AsyncSession, customer_headers: dict[str, str]
) -> None:
    product = await create_product(session)

    assert (await client.post(PRODUCTS, json=NEW)).status_code == 401
    assert (await client.post(PRODUCTS, json=NEW, headers=customer_headers)).status_code == 403
    patch = await client.patch(
        product_url(product), json={"name": "X"}, headers={"If-Match": '"v1"'} | customer_headers
    )
    assert patch.status_code == 403
    assert (await client.delete(product_url(product), headers=customer_headers)).status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        {"price_cents": 12.5},
        {"price_cents": "1250"},
        {"price_cents": -1},
        {"price_cents": 100_000_001},
        {"stock": -1},
        {"stock": 1.5},
        {"stock": True},
        {"sku": "mug-01"},
        {"sku": "MUG 01"},
        {"sku": "M" * 65},
        {"name": ""},
        {"name": "n" * 201},
        {"description": "d" * 5001},
        {"currency": "usd"},
        {"currency": "EURO"},
        {"version": 7},
    ],
)
async def test_bad_products_are_422(
    client: AsyncClient, admin_headers: dict[str, str], change: dict[str, Any]
) -> None:
    response = await client.post(PRODUCTS, json=NEW | change, headers=admin_headers)

    assert response.status_code == 422
    assert (await client.get(PRODUCTS)).json()["items"] == []


async def test_the_database_refuses_negative_stock(session: AsyncSession) -> None:
    product = await create_product(session, stock=1)

    with pytest.raises(IntegrityError, match="ck_products_stock_not_negative"):
        await session.execute(
            text("UPDATE products SET stock = -1 WHERE id = :id"), {"id": product.id}
        )


async def test_an_update_needs_if_match(
    client: AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    product = await create_product(session)

    missing = await client.patch(product_url(product), json={"name": "X"}, headers=admin_headers)
    star = await client.patch(
        product_url(product), json={"name": "X"}, headers=admin_headers | {"If-Match": "*"}
    )

    assert missing.status_code == 428
    assert missing.json()["code"] == "precondition_required"
    assert star.status_code == 428


async def test_an_update_with_the_current_etag_bumps_the_version(
    client: AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    product = await create_product(session, price_cents=1000)
    etag = (await client.get(product_url(product))).headers["etag"]

    response = await client.patch(
        product_url(product),
        json={"price_cents": 1200, "name": "Renamed"},
        headers=admin_headers | {"If-Match": etag},
    )

    assert response.status_code == 200
    assert (response.json()["price_cents"], response.json()["name"]) == (1200, "Renamed")
    assert response.headers["etag"] != etag
    assert response.headers["etag"] == (await client.get(product_url(product))).headers["etag"]


async def test_two_admins_cannot_overwrite_each_other(
    client: AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    product = await create_product(session, name="Original")
    etag_both_read = (await client.get(product_url(product))).headers["etag"]

    first = await client.patch(
        product_url(product),
        json={"name": "First"},
        headers=admin_headers | {"If-Match": etag_both_read},
    )
    second = await client.patch(
        product_url(product),
        json={"name": "Second"},
        headers=admin_headers | {"If-Match": etag_both_read},
    )

    assert first.status_code == 200
    assert second.status_code == 412
    assert second.json()["code"] == "precondition_failed"
    assert (await client.get(product_url(product))).json()["name"] == "First"


async def test_bad_updates_are_refused_and_change_nothing(
    client: AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    taken = await create_product(session, sku="TAKEN")
    product = await create_product(session, name="Kept")
    headers = admin_headers | {"If-Match": '"v1"'}

    duplicate = await client.patch(product_url(product), json={"sku": taken.sku}, headers=headers)
    null = await client.patch(product_url(product), json={"name": None}, headers=headers)
    unknown = await client.patch(
        f"{PRODUCTS}/{format_typeid('prod', uuid7())}", json={"name": "X"}, headers=headers
    )

    assert duplicate.status_code == 409
    assert null.status_code == 422
    assert unknown.status_code == 404
    current = await client.get(product_url(product))
    assert (current.json()["name"], current.headers["etag"]) == ("Kept", '"v1"')


async def test_archiving_hides_a_product_from_the_catalog_but_not_from_admins(
    client: AsyncClient,
    session: AsyncSession,
    admin_headers: dict[str, str],
    customer_headers: dict[str, str],
) -> None:
    product = await create_product(session)

    assert (await client.delete(product_url(product), headers=admin_headers)).status_code == 204
    assert (await client.delete(product_url(product), headers=admin_headers)).status_code == 204

    assert (await client.get(PRODUCTS)).json()["items"] == []
    archived = await client.get(PRODUCTS, params={"include_archived": True}, headers=admin_headers)
    assert [item["id"] for item in archived.json()["items"]] == [format_typeid("prod", product.id)]
    assert archived.json()["items"][0]["archived_at"] is not None
    # Past orders link to it, so it can still be read by id.
    assert (await client.get(product_url(product))).status_code == 200
    assert (await client.get(PRODUCTS, params={"include_archived": True})).status_code == 401
    forbidden = await client.get(
        PRODUCTS, params={"include_archived": True}, headers=customer_headers
    )
    assert forbidden.status_code == 403


async def test_stock_changes_are_new_versions(session: AsyncSession) -> None:
    product = await create_product(session, stock=5)
    version = product.version

    await catalog_service.reserve_stock(session, {product.id: 2})
    changed = await session.get(Product, product.id, populate_existing=True)

    assert changed is not None
    assert (changed.stock, changed.version) == (3, version + 1)


@pytest.mark.parametrize(
    ("blocker", "error"),
    [
        ({"stock": 1}, InsufficientStockError),
        ({"stock": 9, "archived": True}, ProductsUnavailableError),
    ],
)
async def test_a_reservation_takes_all_its_stock_or_none_even_before_the_rollback(
    session: AsyncSession, blocker: dict[str, Any], error: type[Exception]
) -> None:
    available = await create_product(session, stock=5)
    blocking = await create_product(session, stock=blocker["stock"])
    if blocker.get("archived"):
        await catalog_service.archive_product(session, blocking.id)

    with pytest.raises(error):
        await catalog_service.reserve_stock(session, {available.id: 2, blocking.id: 3})
    stocks = await session.execute(
        text("SELECT stock FROM products WHERE id IN (:a, :b) ORDER BY id = :a DESC"),
        {"a": available.id, "b": blocking.id},
    )

    assert stocks.scalars().all() == [5, blocker["stock"]]
