from datetime import UTC, datetime, timedelta

from httpx import AsyncClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.passwords import PasswordHasher
from storefront.catalog.models import Product
from storefront.idempotency.models import IdempotencyRecord
from storefront.idempotency.service import fingerprint
from storefront.orders.models import Order
from storefront.users.models import User
from tests.factories import bearer, create_product, create_user, log_in_tokens, order_body

ORDERS = "/api/v1/orders"


async def order_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Order)) or 0


async def test_a_missing_key_is_400(
    client: AsyncClient, session: AsyncSession, customer_headers: dict[str, str]
) -> None:
    product = await create_product(session)

    response = await client.post(ORDERS, json=order_body((product, 1)), headers=customer_headers)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert await order_count(session) == 0


async def test_a_malformed_key_is_422(
    client: AsyncClient, session: AsyncSession, customer_headers: dict[str, str]
) -> None:
    product = await create_product(session)

    for key in ("k" * 256, "tab\there"):
        response = await client.post(
            ORDERS,
            json=order_body((product, 1)),
            headers=customer_headers | {"Idempotency-Key": key},
        )
        assert response.status_code == 422, key


async def test_the_same_key_and_body_replays_the_first_response(
    client: AsyncClient, session: AsyncSession, customer_headers: dict[str, str]
) -> None:
    product = await create_product(session, stock=5)
    headers = customer_headers | {"Idempotency-Key": "order-1"}
    body = order_body((product, 2))

    first = await client.post(ORDERS, json=body, headers=headers)
    # Same content, other key order and spacing: still the same request.
    replay = await client.post(
        ORDERS,
        content=f'{{"note": null, "items": {body["items"]}}}'.replace("'", '"'),
        headers=headers | {"Content-Type": "application/json"},
    )

    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert replay.headers["location"] == first.headers["location"]
    assert await order_count(session) == 1
    assert await session.scalar(select(Product.stock).where(Product.id == product.id)) == 3


async def test_the_same_key_with_another_body_is_422(
    client: AsyncClient, session: AsyncSession, customer_headers: dict[str, str]
) -> None:
    product = await create_product(session, stock=5)
    headers = customer_headers | {"Idempotency-Key": "order-1"}
    await client.post(ORDERS, json=order_body((product, 1)), headers=headers)

    response = await client.post(ORDERS, json=order_body((product, 2)), headers=headers)

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert await order_count(session) == 1


async def test_a_failed_request_does_not_burn_its_key(
    client: AsyncClient, session: AsyncSession, customer_headers: dict[str, str]
) -> None:
    product = await create_product(session, stock=1)
    headers = customer_headers | {"Idempotency-Key": "order-1"}
    body = order_body((product, 2))

    refused = await client.post(ORDERS, json=body, headers=headers)
    await session.execute(update(Product).where(Product.id == product.id).values(stock=5))
    retried = await client.post(ORDERS, json=body, headers=headers)

    assert refused.status_code == 409
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers


async def test_keys_belong_to_one_user(
    client: AsyncClient,
    session: AsyncSession,
    hasher: PasswordHasher,
    customer_headers: dict[str, str],
) -> None:
    product = await create_product(session, stock=5)
    other: User = await create_user(session, hasher)
    other_headers = bearer((await log_in_tokens(client, other.email))["access_token"])
    body = order_body((product, 1))

    mine = await client.post(ORDERS, json=body, headers=customer_headers | {"Idempotency-Key": "k"})
    theirs = await client.post(ORDERS, json=body, headers=other_headers | {"Idempotency-Key": "k"})

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


async def test_a_request_still_in_progress_is_409_until_its_lease_runs_out(
    client: AsyncClient, session: AsyncSession, customer: User, customer_headers: dict[str, str]
) -> None:
    product = await create_product(session, stock=5)
    body = order_body((product, 1))
    now = datetime.now(UTC)
    session.add(
        IdempotencyRecord(
            user_id=customer.id,
            key="busy",
            request_hash=fingerprint(body),
            locked_until=now + timedelta(seconds=30),
            expires_at=now + timedelta(hours=24),
        )
    )
    headers = customer_headers | {"Idempotency-Key": "busy"}

    busy = await client.post(ORDERS, json=body, headers=headers)
    await session.execute(update(IdempotencyRecord).values(locked_until=now - timedelta(seconds=1)))
    taken_over = await client.post(ORDERS, json=body, headers=headers)

    assert busy.status_code == 409
    assert busy.json()["code"] == "idempotency_key_in_progress"
    # A request that died mid-way (no response after its lease) no longer blocks the key.
    assert taken_over.status_code == 201


async def test_an_expired_key_can_be_used_afresh(
    client: AsyncClient, session: AsyncSession, customer_headers: dict[str, str]
) -> None:
    product = await create_product(session, stock=5)
    headers = customer_headers | {"Idempotency-Key": "old"}
    await client.post(ORDERS, json=order_body((product, 1)), headers=headers)
    await session.execute(
        update(IdempotencyRecord).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )

    response = await client.post(ORDERS, json=order_body((product, 2)), headers=headers)

    assert response.status_code == 201
    assert await order_count(session) == 2
