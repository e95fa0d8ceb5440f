from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.passwords import PasswordHasher
from storefront.orders import service
from storefront.orders.repository import fetch_order
from storefront.orders.schemas import OrderCreate, OrderRead
from storefront.users.repository import Account
from tests.factories import create_product, create_user, order_body


async def test_fetch_order_agrees_with_the_orm(
    session: AsyncSession, hasher: PasswordHasher, raw_connection: Any
) -> None:
    owner = await create_user(session, hasher)
    stranger = await create_user(session, hasher)
    first, second = await create_product(session), await create_product(session)
    placed = await service.place_order(
        session,
        user_id=owner.id,
        order=OrderCreate.model_validate(order_body((second, 2), (first, 1), note="Hi")),
    )
    viewer = Account(
        id=owner.id,
        email=owner.email,
        full_name=owner.full_name,
        role=owner.role,
        is_active=True,
        hashed_password=owner.hashed_password,
        created_at=owner.created_at,
    )
    expected = OrderRead.model_validate(await service.get_order(session, placed.id, viewer=viewer))

    assert await fetch_order(raw_connection, placed.id, owner_id=owner.id) == expected
    assert await fetch_order(raw_connection, placed.id, owner_id=None) == expected
    assert await fetch_order(raw_connection, placed.id, owner_id=stranger.id) is None
    assert [item.quantity for item in expected.items] == [2, 1]  # in the order placed
