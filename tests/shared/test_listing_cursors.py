"""Every cursor listing accepts only its own cursors, made for the same filters and sort."""

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.passwords import PasswordHasher
from storefront.shared.ids import format_typeid
from storefront.users.models import User
from tests.factories import create_product, create_user, order_body

LISTINGS = {
    "products": "/api/v1/products",
    "orders": "/api/v1/orders",
    "users": "/api/v1/users",
}


@pytest.fixture
async def cursors(
    client: AsyncClient,
    session: AsyncSession,
    hasher: PasswordHasher,
    admin: User,
    admin_headers: dict[str, str],
) -> dict[str, str]:
    """A next_cursor from each listing, all fetched by the admin."""
    await create_user(session, hasher)
    products = [await create_product(session, stock=5) for _ in range(2)]
    for number, product in enumerate(products):
        response = await client.post(
            "/api/v1/orders",
            json=order_body((product, 1)),
            headers=admin_headers | {"Idempotency-Key": f"cursor-test-{number}"},
        )
        assert response.status_code == 201, response.text
    cursors = {}
    for listing, url in LISTINGS.items():
        page = await client.get(url, params={"limit": 1}, headers=admin_headers)
        cursors[listing] = page.json()["next_cursor"]
        assert cursors[listing], listing
    return cursors


@pytest.mark.parametrize("made_by", LISTINGS)
@pytest.mark.parametrize("used_on", LISTINGS)
async def test_a_cursor_from_another_listing_is_422(
    client: AsyncClient,
    admin_headers: dict[str, str],
    cursors: dict[str, str],
    made_by: str,
    used_on: str,
) -> None:
    response = await client.get(
        LISTINGS[used_on], params={"cursor": cursors[made_by]}, headers=admin_headers
    )

    if made_by == used_on:
        assert response.status_code == 200
    else:
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("listing", "other_filters"),
    [
        ("products", {"sort": "name"}),
        ("products", {"q": "widget"}),
        ("products", {"min_price": 1}),
        ("products", {"include_archived": "true"}),
        ("users", {"role": "admin"}),
        ("users", {"email_prefix": "a"}),
    ],
)
async def test_a_cursor_with_other_filters_is_422(
    client: AsyncClient,
    admin_headers: dict[str, str],
    cursors: dict[str, str],
    listing: str,
    other_filters: dict[str, str],
) -> None:
    response = await client.get(
        LISTINGS[listing],
        params={"cursor": cursors[listing], **other_filters},
        headers=admin_headers,
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_cursor"


async def test_an_admin_cursor_for_one_users_orders_does_not_serve_anothers(
    client: AsyncClient, admin: User, admin_headers: dict[str, str], cursors: dict[str, str]
) -> None:
    response = await client.get(
        LISTINGS["orders"],
        params={"cursor": cursors["orders"], "user_id": format_typeid("user", admin.id)},
        headers=admin_headers,
    )

    assert response.status_code == 422
