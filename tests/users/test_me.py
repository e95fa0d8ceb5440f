from httpx import AsyncClient

from storefront.users.models import User
from tests.factories import PASSWORD, bearer, log_in, log_in_tokens

ME = "/api/v1/users/me"
NEW_PASSWORD = "Brand-New-Secret-7"


async def test_reading_your_own_account(
    client: AsyncClient, customer: User, customer_headers: dict[str, str]
) -> None:
    response = await client.get(ME, headers=customer_headers)

    assert response.status_code == 200
    assert response.json()["email"] == customer.email
    assert response.json()["role"] == "customer"


async def test_changing_your_name(client: AsyncClient, customer_headers: dict[str, str]) -> None:
    response = await client.patch(ME, json={"full_name": "  Ada King "}, headers=customer_headers)

    assert response.status_code == 200
    assert response.json()["full_name"] == "Ada King"
    assert (await client.get(ME, headers=customer_headers)).json()["full_name"] == "Ada King"


async def test_changing_your_password_logs_out_your_other_sessions(
    client: AsyncClient, customer: User
) -> None:
    this_session = await log_in_tokens(client, customer.email)
    other_session = await log_in_tokens(client, customer.email)

    response = await client.patch(
        ME,
        json={"password": NEW_PASSWORD, "current_password": PASSWORD},
        headers=bearer(this_session["access_token"]),
    )

    assert response.status_code == 200
    assert (await log_in(client, customer.email, PASSWORD)).status_code == 401
    assert (await log_in(client, customer.email, NEW_PASSWORD)).status_code == 200
    refresh = "/api/v1/auth/refresh"
    kept = await client.post(refresh, json={"refresh_token": this_session["refresh_token"]})
    revoked = await client.post(refresh, json={"refresh_token": other_session["refresh_token"]})
    assert kept.status_code == 200
    assert revoked.status_code == 401


async def test_a_new_password_needs_the_current_one(
    client: AsyncClient, customer: User, customer_headers: dict[str, str]
) -> None:
    missing = await client.patch(ME, json={"password": NEW_PASSWORD}, headers=customer_headers)
    wrong = await client.patch(
        ME,
        json={"password": NEW_PASSWORD, "current_password": "Not-My-Password-1"},
        headers=customer_headers,
    )

    assert missing.status_code == 422
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "invalid_current_password"
    assert (await log_in(client, customer.email, PASSWORD)).status_code == 200


async def test_a_new_password_must_be_strong_and_not_the_email(
    client: AsyncClient, customer: User, customer_headers: dict[str, str]
) -> None:
    for password in ("short-1A", "onlylowercaseletters", customer.email.upper()):
        response = await client.patch(
            ME,
            json={"password": password, "current_password": PASSWORD},
            headers=customer_headers,
        )
        assert response.status_code == 422, password
        assert ["body", "password"] in [e["location"] for e in response.json()["errors"]]


async def test_role_and_activity_cannot_be_changed_through_me(
    client: AsyncClient, customer_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, json={"role": "admin"}, headers=customer_headers)

    assert response.status_code == 422
    assert (await client.get(ME, headers=customer_headers)).json()["role"] == "customer"
