import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.passwords import PasswordHasher
from storefront.shared.ids import format_typeid, uuid7
from storefront.users.models import User, UserRole
from tests.factories import create_user, every_page

USERS = "/api/v1/users"


def url_of(user: User) -> str:
    return f"{USERS}/{format_typeid('user', user.id)}"


async def test_customers_get_403_on_every_admin_route(
    client: AsyncClient, customer: User, admin: User, customer_headers: dict[str, str]
) -> None:
    unknown = f"{USERS}/{format_typeid('user', uuid7())}"
    responses = [
        await client.get(USERS, headers=customer_headers),
        await client.get(url_of(admin), headers=customer_headers),
        await client.get(unknown, headers=customer_headers),
        await client.get(f"{USERS}/not-an-id", headers=customer_headers),
        await client.patch(url_of(admin), json={"role": "customer"}, headers=customer_headers),
    ]

    assert [r.status_code for r in responses] == [403] * len(responses)
    assert {r.json()["code"] for r in responses} == {"forbidden"}


async def test_admin_routes_need_a_token(client: AsyncClient, admin: User) -> None:
    assert (await client.get(USERS)).status_code == 401
    assert (await client.get(url_of(admin))).status_code == 401


async def test_reading_one_user(
    client: AsyncClient, customer: User, admin_headers: dict[str, str]
) -> None:
    response = await client.get(url_of(customer), headers=admin_headers)

    assert response.status_code == 200
    assert response.json()["email"] == customer.email


@pytest.mark.parametrize(
    "bad_id",
    [
        "not-an-id",
        "prod_01h455vb4pex5vsknk084sn02q",
        "user_01h455vb4pex5vsknk084sn02",
        "01936b2e-3c4d-7a5b-8c6d-7e8f9a0b1c2d",
    ],
)
async def test_a_malformed_or_foreign_id_is_422(
    client: AsyncClient, admin_headers: dict[str, str], bad_id: str
) -> None:
    response = await client.get(f"{USERS}/{bad_id}", headers=admin_headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["path", "user_id"]


async def test_an_unknown_id_is_404(client: AsyncClient, admin_headers: dict[str, str]) -> None:
    response = await client.get(f"{USERS}/{format_typeid('user', uuid7())}", headers=admin_headers)

    assert response.status_code == 404
    assert response.json()["code"] == "user_not_found"


async def test_listing_pages_through_every_user_once_in_creation_order(
    client: AsyncClient,
    session: AsyncSession,
    hasher: PasswordHasher,
    admin: User,
    admin_headers: dict[str, str],
) -> None:
    created = [admin] + [await create_user(session, hasher) for _ in range(4)]
    expected = [format_typeid("user", user.id) for user in created]

    assert await every_page(client, USERS, admin_headers, limit=2) == expected


async def test_listing_filters_by_role_activity_and_email_prefix(
    client: AsyncClient,
    session: AsyncSession,
    hasher: PasswordHasher,
    admin: User,
    admin_headers: dict[str, str],
) -> None:
    await create_user(session, hasher, email="ann_1@shop.example")
    await create_user(session, hasher, email="annex@shop.example", is_active=False)
    await create_user(session, hasher, email="bob@shop.example")

    async def emails(**params: str | bool) -> list[str]:
        response = await client.get(USERS, params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        return [item["email"] for item in response.json()["items"]]

    assert await emails(role="admin") == [admin.email]
    assert await emails(is_active=False) == ["annex@shop.example"]
    assert await emails(email_prefix="ANN") == ["ann_1@shop.example", "annex@shop.example"]
    # "_" is a character here, not a LIKE wildcard.
    assert await emails(email_prefix="ann_") == ["ann_1@shop.example"]


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"role": "owner"}, {"cursor": "forged"}],
)
async def test_bad_listing_parameters_are_422(
    client: AsyncClient, admin_headers: dict[str, str], params: dict[str, str | int]
) -> None:
    response = await client.get(USERS, params=params, headers=admin_headers)

    assert response.status_code == 422


async def test_admins_change_names_roles_and_activity(
    client: AsyncClient, customer: User, admin_headers: dict[str, str]
) -> None:
    response = await client.patch(
        url_of(customer),
        json={"full_name": "Promoted", "role": "admin", "is_active": False},
        headers=admin_headers,
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["full_name"], body["role"], body["is_active"]) == ("Promoted", "admin", False)


async def test_a_deactivated_user_is_locked_out_at_once(
    client: AsyncClient,
    customer: User,
    customer_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    await client.patch(url_of(customer), json={"is_active": False}, headers=admin_headers)

    response = await client.get("/api/v1/users/me", headers=customer_headers)

    assert response.status_code == 401


async def test_a_demoted_admin_loses_admin_routes_at_once(
    client: AsyncClient,
    session: AsyncSession,
    hasher: PasswordHasher,
    admin: User,
    admin_headers: dict[str, str],
) -> None:
    await create_user(session, hasher, role=UserRole.ADMIN)  # so admin is not the last

    await client.patch(url_of(admin), json={"role": "customer"}, headers=admin_headers)

    assert (await client.get(USERS, headers=admin_headers)).status_code == 403


@pytest.mark.parametrize("change", [{"role": "customer"}, {"is_active": False}])
async def test_the_last_active_admin_cannot_step_down(
    client: AsyncClient, admin: User, admin_headers: dict[str, str], change: dict[str, object]
) -> None:
    response = await client.patch(url_of(admin), json=change, headers=admin_headers)

    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"
    assert (await client.get(url_of(admin), headers=admin_headers)).json()["role"] == "admin"


async def test_an_inactive_admin_does_not_count_as_another_admin(
    client: AsyncClient,
    session: AsyncSession,
    hasher: PasswordHasher,
    admin: User,
    admin_headers: dict[str, str],
) -> None:
    await create_user(session, hasher, role=UserRole.ADMIN, is_active=False)

    response = await client.patch(url_of(admin), json={"role": "customer"}, headers=admin_headers)

    assert response.status_code == 409


async def test_bad_updates_are_422(
    client: AsyncClient, customer: User, admin_headers: dict[str, str]
) -> None:
    for body in ({"role": "owner"}, {"is_active": "maybe"}, {"full_name": ""}, {"email": "x@y.z"}):
        response = await client.patch(url_of(customer), json=body, headers=admin_headers)
        assert response.status_code == 422, body
