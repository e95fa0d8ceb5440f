from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.users.models import User

REGISTER = "/api/v1/auth/register"
VALID = {"email": "grace@example.com", "password": "Correct-Horse-42", "full_name": "Grace Hopper"}


async def user_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User)) or 0


async def test_registering_creates_a_customer(client: AsyncClient) -> None:
    response = await client.post(REGISTER, json=VALID)

    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("user_")
    assert body | {"id": None, "created_at": None} == {
        "id": None,
        "email": "grace@example.com",
        "full_name": "Grace Hopper",
        "role": "customer",
        "is_active": True,
        "created_at": None,
    }
    assert "password" not in response.text
    assert "hashed_password" not in response.text


async def test_the_email_is_trimmed_and_unique_whatever_its_case(
    client: AsyncClient, session: AsyncSession
) -> None:
    first = await client.post(REGISTER, json=VALID | {"email": "  grace@example.com "})
    duplicate = await client.post(REGISTER, json=VALID | {"email": "GRACE@Example.com"})

    assert first.status_code == 201
    assert first.json()["email"] == "grace@example.com"
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "email_taken"
    assert await user_count(session) == 1


async def test_the_stored_password_is_an_argon2id_hash(
    client: AsyncClient, session: AsyncSession
) -> None:
    await client.post(REGISTER, json=VALID)

    stored = await session.scalar(select(User.hashed_password))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert VALID["password"] not in stored


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"password": "Short-pw-1"}, "password"),  # 10 characters
        ({"password": "A1" * 64 + "x"}, "password"),  # 129 characters
        ({"password": "alllowercaseletters"}, "password"),  # one character class
        ({"password": "123456789012345"}, "password"),
        (
            {"email": "longer-Pass-99@example.com", "password": "longer-Pass-99@example.com"},
            "password",
        ),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a" * 310 + "@example.com"}, "email"),
        ({"full_name": ""}, "full_name"),
        ({"full_name": "   "}, "full_name"),
        ({"full_name": "x" * 201}, "full_name"),
        ({"full_name": "Tab\tName"}, "full_name"),
        ({"full_name": 42}, "full_name"),
        ({"password": None}, "password"),
        ({"is_admin": True}, "is_admin"),
    ],
    ids=[
        "password-too-short",
        "password-too-long",
        "password-lowercase-only",
        "password-digits-only",
        "password-is-email",
        "email-malformed",
        "email-too-long",
        "name-empty",
        "name-blank",
        "name-too-long",
        "name-control-character",
        "name-wrong-type",
        "password-null",
        "unknown-field",
    ],
)
async def test_bad_registrations_are_422_and_create_nothing(
    client: AsyncClient, session: AsyncSession, change: dict[str, Any], location: str
) -> None:
    response = await client.post(REGISTER, json=VALID | change)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert ["body", location] in [error["location"] for error in response.json()["errors"]]
    assert await user_count(session) == 0


async def test_missing_fields_are_each_reported(client: AsyncClient) -> None:
    response = await client.post(REGISTER, json={})

    assert response.status_code == 422
    locations = [error["location"] for error in response.json()["errors"]]
    assert locations == [["body", "email"], ["body", "password"], ["body", "full_name"]]
