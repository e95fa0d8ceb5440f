"""Ending a login ends its access tokens at once, not when they expire."""

from httpx import AsyncClient

from storefront.users.models import User
from tests.factories import PASSWORD, bearer, log_in_tokens

ME = "/api/v1/users/me"


async def me_status(client: AsyncClient, tokens: dict[str, str]) -> int:
    return (await client.get(ME, headers=bearer(tokens["access_token"]))).status_code


async def test_logout_ends_that_logins_access_tokens_at_once(
    client: AsyncClient, customer: User
) -> None:
    login, other_login = (
        await log_in_tokens(client, customer.email),
        await log_in_tokens(client, customer.email),
    )
    assert await me_status(client, login) == 200

    logout = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": login["refresh_token"]}
    )

    assert logout.status_code == 204
    response = await client.get(ME, headers=bearer(login["access_token"]))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert await me_status(client, other_login) == 200


async def test_a_password_change_ends_every_other_login_but_not_this_one(
    client: AsyncClient, customer: User
) -> None:
    this_login, other_login = (
        await log_in_tokens(client, customer.email),
        await log_in_tokens(client, customer.email),
    )

    changed = await client.patch(
        ME,
        json={"password": "Another-Horse-43", "current_password": PASSWORD},
        headers=bearer(this_login["access_token"]),
    )

    assert changed.status_code == 200
    assert await me_status(client, other_login) == 401
    assert await me_status(client, this_login) == 200


async def test_reusing_a_refresh_token_ends_every_access_token_of_its_login(
    client: AsyncClient, customer: User
) -> None:
    first = await log_in_tokens(client, customer.email)
    rotated = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    assert await me_status(client, rotated) == 200

    reuse = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )

    assert reuse.status_code == 401
    assert await me_status(client, first) == 401
    assert await me_status(client, rotated) == 401
