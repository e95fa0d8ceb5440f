from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import Product
from storefront.shared.ids import format_typeid
from tests.factories import create_product, every_page

PRODUCTS = "/api/v1/products"

SORTS: dict[str, Any] = {
    "created_at": lambda p: (p.created_at, p.id),
    "-created_at": lambda p: (p.created_at, p.id),
    "price": lambda p: (p.price_cents, p.id),
    "-price": lambda p: (p.price_cents, p.id),
    "name": lambda p: (p.name, p.id),
}


async def some_products(session: AsyncSession) -> list[Product]:
    # Prices and names repeat, so ties are broken by id.
    return [
        await create_product(session, name=f"Item {n % 3}", price_cents=100 * (n % 4))
        for n in range(9)
    ]


def ids_of(products: list[Product]) -> list[str]:
    return [format_typeid("prod", product.id) for product in products]


@pytest.mark.parametrize("sort", list(SORTS))
async def test_pages_follow_the_sort_with_ties_broken_by_id(
    client: AsyncClient, session: AsyncSession, sort: str
) -> None:
    products = await some_products(session)
    expected = sorted(products, key=SORTS[sort], reverse=sort.startswith("-"))

    assert await every_page(client, PRODUCTS, sort=sort, limit=2) == ids_of(expected)


async def test_the_default_order_is_newest_first(
    client: AsyncClient, session: AsyncSession
) -> None:
    products = await some_products(session)

    response = await client.get(PRODUCTS)

    assert [item["id"] for item in response.json()["items"]] == ids_of(products[::-1])


@pytest.mark.parametrize("sort", ["price", "-created_at", "name"])
async def test_rows_inserted_between_pages_are_neither_skipped_nor_repeated(
    client: AsyncClient, session: AsyncSession, sort: str
) -> None:
    before = await some_products(session)
    first = (await client.get(PRODUCTS, params={"sort": sort, "limit": 4})).json()

    inserted = [
        await create_product(session, name=f"Item {n}", price_cents=150 * n) for n in range(4)
    ]
    rest = await every_page(client, PRODUCTS, sort=sort, limit=4, cursor=first["next_cursor"])

    seen = [item["id"] for item in first["items"]] + rest
    assert len(seen) == len(set(seen))
    assert set(ids_of(before)) <= set(seen)
    # What was inserted shows up only if it sorts after the page already read.
    everything = sorted(before + inserted, key=SORTS[sort], reverse=sort.startswith("-"))
    assert seen == [pid for pid in ids_of(everything) if pid in set(seen)]


async def test_q_matches_any_part_of_the_name_or_sku_ignoring_case(
    client: AsyncClient, session: AsyncSession
) -> None:
    await create_product(session, name="Blue Teapot", sku="TEA-1")
    await create_product(session, name="Kettle", sku="TEAPOT-2")
    await create_product(session, name="100% Cotton", sku="SHIRT-3")
    await create_product(session, name="Mug", sku="MUG-4")

    async def names(q: str) -> list[str]:
        response = await client.get(PRODUCTS, params={"q": q, "sort": "name"})
        return [item["name"] for item in response.json()["items"]]

    assert await names("teapot") == ["Blue Teapot", "Kettle"]
    assert await names("% c") == ["100% Cotton"]  # % is a character, not a wildcard
    assert await names("zzz") == []


async def test_price_bounds_are_inclusive(client: AsyncClient, session: AsyncSession) -> None:
    for price in (100, 200, 300):
        await create_product(session, price_cents=price)

    response = await client.get(
        PRODUCTS, params={"min_price": 200, "max_price": 300, "sort": "price"}
    )

    assert [item["price_cents"] for item in response.json()["items"]] == [200, 300]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"sort": "stock"},
        {"min_price": -1},
        {"min_price": 300, "max_price": 200},
        {"q": ""},
        {"q": "x" * 101},
        {"cursor": "not-a-cursor"},
        {"include_archived": "perhaps"},
    ],
)
async def test_bad_listing_parameters_are_422(client: AsyncClient, params: dict[str, Any]) -> None:
    response = await client.get(PRODUCTS, params=params)

    assert response.status_code == 422


async def test_a_cursor_is_tamper_evident_and_bound_to_its_sort(
    client: AsyncClient, session: AsyncSession
) -> None:
    await some_products(session)
    cursor = (await client.get(PRODUCTS, params={"sort": "price", "limit": 2})).json()[
        "next_cursor"
    ]
    payload, signature = cursor.split(".")

    other_sort = await client.get(PRODUCTS, params={"sort": "name", "cursor": cursor})
    tampered = await client.get(
        PRODUCTS, params={"sort": "price", "cursor": f"{payload[:-2]}xx.{signature}"}
    )

    assert other_sort.status_code == 422
    assert tampered.status_code == 422
    assert tampered.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("where", "order", "index"),
    [
        ("archived_at IS NULL", "created_at DESC, id DESC", "ix_products_listed_created_at"),
        ("archived_at IS NULL", "price_cents, id", "ix_products_listed_price"),
        ("archived_at IS NULL", "name, id", "ix_products_listed_name"),
        ("lower(name) LIKE '%pot%'", "id", "ix_products_name_trgm"),
        ("lower(sku) LIKE '%pot%'", "id", "ix_products_sku_trgm"),
    ],
)
async def test_indexes_back_every_sort_and_search(
    session: AsyncSession, where: str, order: str, index: str
) -> None:
    # With a handful of rows the planner rightly prefers a scan; forbid it to see
    # whether an index can serve the query at all. Which index is cheapest then
    # depends on the table's statistics (what other tests committed and deleted),
    # so the rest is forbidden too: a sort must come from an index in its order, a
    # search from a bitmap scan (what a GIN index gives).
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    alternative = "enable_indexscan" if "LIKE" in where else "enable_sort"
    await session.execute(text(f"SET LOCAL {alternative} = off"))
    plan = await session.scalars(
        text(f"EXPLAIN SELECT * FROM products WHERE {where} ORDER BY {order} LIMIT 21")  # noqa: S608
    )

    assert index in "\n".join(plan)
