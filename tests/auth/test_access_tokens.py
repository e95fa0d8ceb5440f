import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from httpx import AsyncClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.tokens import create_access_token
from storefront.core.config import Settings
from storefront.shared.ids import format_typeid, uuid7
from storefront.users.models import User
from tests.factories import bearer, log_in_tokens

ME = "/api/v1/users/me"


def claims_for(user: User, **changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "sub": format_typeid("user", user.id),
        "role": user.role.value,
        "sid": str(uuid7()),
        "jti": "test",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    } | changes


def token_for(user: User, settings: Settings, *, issued: timedelta, lifetime: int) -> str:
    """A real access token for `user`, issued `issued` from now, valid `lifetime` seconds."""
    return create_access_token(
        user_id=user.id,
        role=user.role.value,
        family_id=uuid7(),
        secret=settings.secret_key.get_secret_value(),
        now=datetime.now(UTC) + issued,
        lifetime=timedelta(seconds=lifetime),
    )


def unsigned_token(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        raw = json.dumps(data, default=lambda v: int(v.timestamp())).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


async def test_a_missing_token_is_401_with_a_bearer_challenge(client: AsyncClient) -> None:
    response = await client.get(ME)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "not_authenticated"


async def test_an_expired_token_is_refused(
    client: AsyncClient, customer: User, settings: Settings
) -> None:
    token = token_for(customer, settings, issued=timedelta(minutes=-16), lifetime=15 * 60)

    response = await client.get(ME, headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert response.json()["detail"] == "The access token has expired."
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_a_tampered_token_is_refused(client: AsyncClient, customer: User) -> None:
    header, payload, signature = (await log_in_tokens(client, customer.email))[
        "access_token"
    ].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    response = await client.get(ME, headers=bearer(f"{header}.{forged}.{signature}"))

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


@pytest.mark.parametrize("kind", ["alg-none", "wrong-key", "other-hmac-algorithm"])
async def test_tokens_not_signed_by_us_with_hs256_are_refused(
    client: AsyncClient, customer: User, settings: Settings, kind: str
) -> None:
    claims = claims_for(customer)
    secret = settings.secret_key.get_secret_value()
    token = {
        "alg-none": lambda: unsigned_token(claims),
        "wrong-key": lambda: jwt.encode(claims, "another-secret-" * 4, algorithm="HS256"),
        "other-hmac-algorithm": lambda: jwt.encode(claims, secret, algorithm="HS512"),
    }[kind]()

    response = await client.get(ME, headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_a_correctly_signed_token_still_needs_every_claim(
    client: AsyncClient, customer: User, settings: Settings
) -> None:
    claims = claims_for(customer)
    del claims["sid"]
    token = jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm="HS256")

    response = await client.get(ME, headers=bearer(token))

    assert response.status_code == 401


@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "Bearer", "x" * 5000])
async def test_garbled_tokens_are_refused(client: AsyncClient, garbage: str) -> None:
    response = await client.get(ME, headers=bearer(garbage))

    assert response.status_code == 401


async def test_deactivation_takes_effect_on_the_next_request(
    client: AsyncClient, session: AsyncSession, customer: User, customer_headers: dict[str, str]
) -> None:
    assert (await client.get(ME, headers=customer_headers)).status_code == 200

    await session.execute(update(User).where(User.id == customer.id).values(is_active=False))

    response = await client.get(ME, headers=customer_headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_a_token_that_worked_stops_working_once_it_expires(
    client: AsyncClient, customer: User, settings: Settings
) -> None:
    # "exp" has whole seconds: at least 1 s left.
    token = token_for(customer, settings, issued=timedelta(0), lifetime=2)
    assert (await client.get(ME, headers=bearer(token))).status_code == 200

    # Verified tokens are remembered; their expiry is still checked on every use.
    await asyncio.sleep(2.1)

    response = await client.get(ME, headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["detail"] == "The access token has expired."
