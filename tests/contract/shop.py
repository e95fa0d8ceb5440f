"""A live shop for the contract fuzzer: its own database, an app served in-process on
schemathesis's event loop, and callers of every kind.

Built when the test module is collected: schemathesis makes one test per operation at
collection, from a schema it has loaded by then (its fixture-based loader does not
work with pytest 9).
"""

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from schemathesis.config import SchemathesisConfig

from storefront.auth.passwords import PasswordHasher
from storefront.auth.service import issue_tokens
from storefront.catalog.models import Product
from storefront.core.config import Settings
from storefront.core.database import create_engine, create_sessionmaker, transaction
from storefront.core.main import create_app
from storefront.orders.schemas import OrderCreate, OrderRead
from storefront.orders.service import place_order
from storefront.shared.ids import uuid7
from storefront.users.models import User, UserRole
from tests.conftest import DatabaseUnderTest, make_settings
from tests.factories import bearer, create_product, create_user, order_body

# `task fuzz` raises it; `task test` keeps the run to seconds.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
COVERAGE = os.environ.get("FUZZ_COVERAGE", "false") == "true"


@dataclass
class Shop:
    app: FastAPI
    callers: dict[str, dict[str, str]]  # role -> headers
    products: list[Product]
    users: list[User]
    orders: list[OrderRead]


ACCEPTED_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "412", "429"]
MISSING_HEADER_STATUSES = ["400", "401", "403", "406", "415", "422", "428"]
# Operations with rules the schema cannot express, where a schema-valid request may
# still be a 422: an unknown product or one ordered twice, min_price above
# max_price, a password that is the email or lacks variety, an email that is no
# address; and on every listing, a cursor the server never issued. Everywhere else
# a 422 for a schema-valid request means the schema lies (it offered null, say). A
# reset token the server never issued is a 400.
BUSINESS_RULES = {
    "GET /api/v1/products": ["422"],
    "POST /api/v1/orders": ["422"],
    "POST /api/v1/auth/register": ["422"],
    "POST /api/v1/auth/password-reset": ["422"],
    "POST /api/v1/auth/password-reset/confirm": ["400", "422"],
    "PATCH /api/v1/users/me": ["422"],
}


def listings(app: FastAPI) -> list[str]:
    """The operations that take a cursor."""
    return [
        f"GET {path}"
        for path, item in app.openapi()["paths"].items()
        if any(
            parameter["name"] == "cursor" for parameter in item.get("get", {}).get("parameters", [])
        )
    ]


def fuzz_config(app: FastAPI) -> SchemathesisConfig:
    def accepting(statuses: list[str]) -> dict[str, Any]:
        return {
            "positive_data_acceptance": {"expected-statuses": statuses},
            # A missing If-Match is 428 Precondition Required (RFC 6585).
            "missing_required_header": {"expected-statuses": MISSING_HEADER_STATUSES},
        }

    return SchemathesisConfig.from_dict(
        {
            "generation": {"max-examples": EXAMPLES},
            # The coverage phase (every boundary and omission the schema implies)
            # costs most of the time: `task fuzz` runs it, `task test` does not.
            "phases": {"coverage": {"enabled": COVERAGE}},
            "checks": accepting(ACCEPTED_STATUSES),
            "operations": [
                {"include-name": name, "checks": accepting([*ACCEPTED_STATUSES, *statuses])}
                for name, statuses in (
                    {name: ["422"] for name in listings(app)} | BUSINESS_RULES
                ).items()
            ],
        }
    )


def open_shop(test_database: DatabaseUnderTest) -> Shop:
    return asyncio.run(_seed(test_database))


async def _seed(test_database: DatabaseUnderTest) -> Shop:
    settings: Settings = make_settings(await test_database.copy("fuzz"))
    hasher = PasswordHasher(settings.auth)
    engine = create_engine(settings.database.url.get_secret_value(), settings.database)  # type: ignore[union-attr]
    callers: dict[str, dict[str, str]] = {"anonymous": {}}
    async with transaction(create_sessionmaker(engine)) as session:
        products = [await create_product(session, stock=2_000_000_000) for _ in range(5)]
        users = [await create_user(session, hasher) for _ in range(2)]  # for admins to edit
        orders = []
        for role in (UserRole.CUSTOMER, UserRole.ADMIN):
            caller = await create_user(session, hasher, role=role)
            tokens = await issue_tokens(
                session, caller, family_id=uuid7(), now=datetime.now(UTC), settings=settings
            )
            callers[role.value] = bearer(tokens.access_token)
            order = OrderCreate.model_validate(order_body((products[0], 1)))
            orders.append(await place_order(session, user_id=caller.id, order=order))
    await engine.dispose()
    # Served by schemathesis on its own event loop, which runs the app's lifespan.
    return Shop(create_app(settings), callers, products, users, orders)
