"""Small async factories and helpers; fixtures live in conftest.py."""

import json
from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.passwords import PasswordHasher
from storefront.catalog import service as catalog_service
from storefront.catalog.models import Product
from storefront.core.config import Settings
from storefront.jobs.service import JobContext, JobFunction
from storefront.shared.ids import format_typeid, uuid7
from storefront.users import service as users_service
from storefront.users.models import User, UserRole

PASSWORD = "Correct-Horse-42"


async def create_user(
    session: AsyncSession,
    hasher: PasswordHasher,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    full_name: str = "Test User",
    role: UserRole = UserRole.CUSTOMER,
    is_active: bool = True,
) -> User:
    user = await users_service.create_user(
        session,
        email=email or f"user-{uuid7().hex[-12:]}@example.com",
        full_name=full_name,
        hashed_password=await hasher.hash(password),
        role=role,
    )
    user.is_active = is_active
    await session.flush()
    return user


async def log_in(
    client: AsyncClient,
    email: str,
    password: str = PASSWORD,
    *,
    headers: dict[str, str] | None = None,
) -> Response:
    return await client.post(
        "/api/v1/auth/token", data={"username": email, "password": password}, headers=headers
    )


async def log_in_tokens(client: AsyncClient, email: str, password: str = PASSWORD) -> Any:
    response = await log_in(client, email, password)
    assert response.status_code == 200, response.text
    return response.json()


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def create_product(session: AsyncSession, **overrides: Any) -> Product:
    fields: dict[str, Any] = {
        "sku": f"SKU-{uuid7().hex[-10:].upper()}",
        "name": "Widget",
        "price_cents": 1999,
        "currency": "USD",
        "stock": 10,
    } | overrides
    product = await catalog_service.create_product(session, **fields)
    await session.flush()
    return product


def product_url(product: Product) -> str:
    return f"/api/v1/products/{format_typeid('prod', product.id)}"


def order_body(*lines: tuple[Product, int], note: str | None = None) -> dict[str, Any]:
    return {
        "items": [
            {"product_id": format_typeid("prod", product.id), "quantity": quantity}
            for product, quantity in lines
        ],
        "note": note,
    }


async def every_page(
    client: AsyncClient, url: str, headers: dict[str, str] | None = None, **params: Any
) -> list[str]:
    """The ids of every item of a cursor-paginated listing, following next_cursor."""
    ids: list[str] = []
    cursor = None
    while True:
        page_params = params | ({"cursor": cursor} if cursor else {})
        response = await client.get(url, params=page_params, headers=headers)
        assert response.status_code == 200, response.text
        ids += [item["id"] for item in response.json()["items"]]
        if (cursor := response.json()["next_cursor"]) is None:
            return ids


async def queued_payloads(session: AsyncSession, job: JobFunction[Any]) -> list[dict[str, Any]]:
    """The payloads of `job`'s queued runs that `session` sees, oldest first."""
    rows = await session.execute(
        text(
            "SELECT payload FROM pgqueuer WHERE entrypoint = :name AND status = 'queued'"
            " ORDER BY id"
        ),
        {"name": job.name},
    )
    return [json.loads(payload) for payload in rows.scalars()]


async def run_queued(session: AsyncSession, settings: Settings, job: JobFunction[Any]) -> int:
    """Run `job`'s queued runs right here, in `session`, as a worker would; how many ran.
    (Tests of the worker itself run a real one: tests/jobs/test_worker.py.)"""
    rows = await session.execute(
        text(
            "DELETE FROM pgqueuer WHERE entrypoint = :name AND status = 'queued'"
            " RETURNING id, payload"
        ),
        {"name": job.name},
    )
    ran = 0
    for _, payload in sorted(rows.all()):
        await job.run(JobContext(session, settings), payload)
        ran += 1
    await session.flush()
    return ran
