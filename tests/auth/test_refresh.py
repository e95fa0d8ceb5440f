import asyncio
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.models import RefreshToken
from storefront.users.models import User
from tests.conftest import client_for
from tests.factories import bearer, log_in_tokens


async def refresh(client: AsyncClient, refresh_token: str) -> Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


async def test_refreshing_gives_a_new_pair_and_retires_the_old_token(
    client: AsyncClient, customer: User
) -> None:
    first = await log_in_tokens(client, customer.email)

    response = await refresh(client, first["refresh_token"])

    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert response.headers["cache-control"] == "no-store"
    me = await client.get("/api/v1/users/me", headers=bearer(second["access_token"]))
    assert me.status_code == 200


async def test_reusing_a_rotated_token_revokes_its_whole_family(
    client: AsyncClient, customer: User
) -> None:
    first = await log_in_tokens(client, customer.email)
    second = (await refresh(client, first["refresh_token"])).json()
    other_login = await log_in_tokens(client, customer.email)

    reused = await refresh(client, first["refresh_token"])

    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_token_reused"
    # The descendant is revoked with it, even though it was never used...
    descendant = await refresh(client, second["refresh_token"])
    assert descendant.status_code == 401
    assert descendant.json()["code"] == "invalid_refresh_token"
    # ...while another login's family is untouched.
    assert (await refresh(client, other_login["refresh_token"])).status_code == 200


async def test_unknown_and_expired_refresh_tokens_are_refused(
    client: AsyncClient, session: AsyncSession, customer: User
) -> None:
    tokens = await log_in_tokens(client, customer.email)
    await session.execute(
        update(RefreshToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )

    for token in ("not-a-token", tokens["refresh_token"]):
        response = await refresh(client, token)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_refresh_token"


async def test_a_deactivated_user_cannot_refresh(
    client: AsyncClient, session: AsyncSession, customer: User
) -> None:
    tokens = await log_in_tokens(client, customer.email)
    await session.execute(update(User).where(User.id == customer.id).values(is_active=False))

    response = await refresh(client, tokens["refresh_token"])

    assert response.status_code == 401


async def test_logging_out_revokes_that_family_only(client: AsyncClient, customer: User) -> None:
    phone = await log_in_tokens(client, customer.email)
    rotated = (await refresh(client, phone["refresh_token"])).json()
    laptop = await log_in_tokens(client, customer.email)

    response = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]}
    )

    assert response.status_code == 204
    assert (await refresh(client, rotated["refresh_token"])).status_code == 401
    assert (await refresh(client, laptop["refresh_token"])).status_code == 200


async def test_logging_out_an_unknown_token_changes_nothing(client: AsyncClient) -> None:
    response = await client.post("/api/v1/auth/logout", json={"refresh_token": "unknown"})

    assert response.status_code == 204


async def test_refresh_bodies_are_validated(client: AsyncClient) -> None:
    for body in ({}, {"refresh_token": ""}, {"refresh_token": "x" * 257}, {"refresh_token": 7}):
        response = await client.post("/api/v1/auth/refresh", json=body)
        assert response.status_code == 422, body


async def test_concurrent_uses_of_one_refresh_token_rotate_it_once(
    app: FastAPI, committed_customer: User
) -> None:
    async with client_for(app) as client:
        tokens = await log_in_tokens(client, committed_customer.email)
        responses = await asyncio.gather(
            *(refresh(client, tokens["refresh_token"]) for _ in range(8))
        )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [401] * 7
    assert "refresh_token_reused" in {response.json().get("code") for response in responses}
