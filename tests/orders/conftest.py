"""Committed data for concurrency tests, which run requests on real, concurrent units of
work (no shared savepoint session) and so must clean up after themselves."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, text

from storefront.auth.models import LoginFailure
from storefront.auth.passwords import PasswordHasher
from storefront.catalog.models import Product
from storefront.core.database import transaction
from storefront.orders.jobs import send_order_confirmation
from storefront.orders.models import Order
from storefront.users.models import User
from tests.factories import create_product, create_user


class LiveShop:
    def __init__(self, app: FastAPI, hasher: PasswordHasher) -> None:
        self.app = app
        self.hasher = hasher
        self.user_ids: list[uuid.UUID] = []
        self.product_ids: list[uuid.UUID] = []

    async def customer(self) -> User:
        async with transaction(self.app.state.sessionmaker) as session:
            user = await create_user(session, self.hasher)
        self.user_ids.append(user.id)
        return user

    async def product(self, **fields: Any) -> Product:
        async with transaction(self.app.state.sessionmaker) as session:
            product = await create_product(session, **fields)
        self.product_ids.append(product.id)
        return product

    async def stock_of(self, product: Product) -> int | None:
        async with transaction(self.app.state.sessionmaker) as session:
            return await session.scalar(select(Product.stock).where(Product.id == product.id))

    async def orders_of(self, user: User) -> list[Order]:
        async with transaction(self.app.state.sessionmaker) as session:
            return list(await session.scalars(select(Order).where(Order.user_id == user.id)))

    async def clean_up(self) -> None:
        async with transaction(self.app.state.sessionmaker) as session:
            emails = select(User.email).where(User.id.in_(self.user_ids))
            await session.execute(delete(LoginFailure).where(LoginFailure.email.in_(emails)))
            order_ids = await session.scalars(
                delete(Order).where(Order.user_id.in_(self.user_ids)).returning(Order.id)
            )
            # And the confirmation jobs those orders queued.
            await session.execute(
                text(
                    "DELETE FROM pgqueuer WHERE entrypoint = :name"
                    " AND convert_from(payload, 'UTF8')::jsonb ->> 'order_id' = ANY(:ids)"
                ),
                {"name": send_order_confirmation.name, "ids": [str(id_) for id_ in order_ids]},
            )
            await session.execute(delete(Product).where(Product.id.in_(self.product_ids)))
            # Refresh tokens and idempotency records go with their user.
            await session.execute(delete(User).where(User.id.in_(self.user_ids)))


@pytest.fixture
async def live_shop(app: FastAPI, hasher: PasswordHasher) -> AsyncIterator[LiveShop]:
    shop = LiveShop(app, hasher)
    try:
        yield shop
    finally:
        await shop.clean_up()
