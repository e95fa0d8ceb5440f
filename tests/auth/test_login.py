from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.models import LoginFailure
from storefront.auth.passwords import PasswordHasher
from storefront.core.config import AuthSettings
from storefront.users.models import User
from tests.factories import PASSWORD, bearer, create_user, log_in


async def failures_for(session: AsyncSession, email: str) -> int:
    query = select(func.count()).where(LoginFailure.email == email)
    return await session.scalar(query) or 0


async def test_a_correct_password_gives_a_working_token_pair(
    client: AsyncClient, customer: User
) -> None:
    response = await log_in(client, customer.email)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert len(body["refresh_token"]) >= 43  # 256 bits, URL-safe base64
    assert response.headers["cache-control"] == "no-store"
    me = await client.get("/api/v1/users/me", headers=bearer(body["access_token"]))
    assert me.json()["email"] == customer.email


async def test_the_email_matches_whatever_its_case(client: AsyncClient, customer: User) -> None:
    response = await log_in(client, "  CUSTOMER@example.com ")

    assert response.status_code == 200


async def test_a_wrong_password_and_an_unknown_email_look_the_same(
    client: AsyncClient, session: AsyncSession, customer: User
) -> None:
    wrong_password = await log_in(client, customer.email, "Not-The-Password-1")
    unknown_email = await log_in(client, "nobody@example.com", "Not-The-Password-1")

    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    first, second = wrong_password.json(), unknown_email.json()
    assert first | {"request_id": None} == second | {"request_id": None}
    assert first["code"] == "invalid_credentials"
    # Both count against their email, so neither path is cheaper or different.
    assert await failures_for(session, customer.email) == 1
    assert await failures_for(session, "nobody@example.com") == 1


async def test_an_inactive_user_cannot_log_in(
    client: AsyncClient, session: AsyncSession, hasher: PasswordHasher
) -> None:
    user = await create_user(session, hasher, is_active=False)

    response = await log_in(client, user.email)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_a_hash_with_old_parameters_is_upgraded_on_login(
    client: AsyncClient, session: AsyncSession, app: FastAPI
) -> None:
    old_hasher = PasswordHasher(AuthSettings(argon2_time_cost=2, argon2_memory_kib=9216))
    user = await create_user(session, old_hasher)
    old_hash = user.hashed_password

    assert (await log_in(client, user.email)).status_code == 200

    new_hash = await session.scalar(select(User.hashed_password).where(User.id == user.id))
    assert new_hash is not None
    assert new_hash != old_hash
    assert "m=8192,t=1" in new_hash
    assert (await log_in(client, user.email, PASSWORD)).status_code == 200


async def test_over_long_and_missing_fields_are_422(client: AsyncClient) -> None:
    too_long = await log_in(client, "x" * 321, PASSWORD)
    long_password = await log_in(client, "a@example.com", "P" * 129)
    missing = await client.post("/api/v1/auth/token", data={"username": "a@example.com"})

    for response in (too_long, long_password, missing):
        assert response.status_code == 422
        assert response.json()["code"] == "validation_failed"
