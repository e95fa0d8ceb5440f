"""Every string the API accepts goes through one text type, so hostile text is a 422 naming
its field, never a 500 from the database; and emails are compared in one normalised form."""

import types
import typing
from collections.abc import Iterator
from typing import Annotated, Any, Union

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from httpx import AsyncClient
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import Product
from storefront.shared.ids import format_typeid
from storefront.shared.text import Text
from storefront.users.models import User
from tests.factories import create_product, log_in, order_body, product_url

NUL = "a\x00b"


def string_leaves(annotation: Any, metadata: list[Any], path: str) -> list[tuple[str, bool]]:
    """Each `str` inside `annotation`, with whether a `Text` or a pattern guards it."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *extra = typing.get_args(annotation)
        return string_leaves(base, [*metadata, *extra], path)
    if origin in (Union, types.UnionType, list, set, tuple, dict):
        return [
            leaf
            for arg in typing.get_args(annotation)
            for leaf in string_leaves(arg, metadata, path)
        ]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [
            leaf
            for name, field in annotation.model_fields.items()
            for leaf in string_leaves(field.annotation, field.metadata, f"{path}.{name}")
        ]
    if annotation is str:
        guarded = any(isinstance(m, Text) or getattr(m, "pattern", None) for m in metadata)
        return [(path, guarded)]
    return []


def request_inputs(dependant: Dependant) -> Iterator[Any]:
    """Every parameter and body field of a route and of its dependencies."""
    yield from dependant.path_params
    yield from dependant.query_params
    yield from dependant.header_params
    yield from dependant.cookie_params
    yield from dependant.body_params
    for dependency in dependant.dependencies:
        yield from request_inputs(dependency)


def test_every_string_input_uses_the_shared_text_type(app: FastAPI) -> None:
    leaves = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        for param in request_inputs(route.dependant):
            info = param.field_info
            name = f"{sorted(route.methods or ())} {context.path} {param.name}"
            leaves += string_leaves(info.annotation, info.metadata, name)

    assert len(leaves) > 20, leaves  # the walk reached the domains' routes
    unguarded = [path for path, guarded in leaves if not guarded]
    assert unguarded == [], "use storefront.shared.text.Text (or a pattern) for these"


@pytest.fixture
async def product(session: AsyncSession) -> Product:
    return await create_product(session)


def nul_requests(product: Product) -> list[tuple[str, str, dict[str, Any], list[str]]]:
    """The issue's reproductions: (method, url, request arguments, the field's location)."""
    url = product_url(product)
    product_body = {"sku": "NUL-1", "name": "Pot", "price_cents": 100}
    order = order_body((product, 1))
    return [
        ("GET", "/api/v1/products", {"params": {"q": NUL}}, ["query", "q"]),
        ("GET", "/api/v1/users", {"params": {"email_prefix": NUL}}, ["query", "email_prefix"]),
        ("POST", "/api/v1/products", {"json": {**product_body, "name": NUL}}, ["body", "name"]),
        (
            "POST",
            "/api/v1/products",
            {"json": {**product_body, "description": NUL}},
            ["body", "description"],
        ),
        ("PATCH", url, {"json": {"name": NUL}, "headers": {"If-Match": '"v1"'}}, ["body", "name"]),
        (
            "PATCH",
            url,
            {"json": {"description": NUL}, "headers": {"If-Match": '"v1"'}},
            ["body", "description"],
        ),
        (
            "POST",
            "/api/v1/orders",
            {"json": {**order, "note": NUL}, "headers": {"Idempotency-Key": "nul"}},
            ["body", "note"],
        ),
        (
            "POST",
            "/api/v1/auth/token",
            {"data": {"username": NUL, "password": "x"}},
            ["body", "username"],
        ),
        (
            "POST",
            "/api/v1/auth/token",
            {"data": {"username": "a@b.co", "password": NUL}},
            ["body", "password"],
        ),
    ]


@pytest.mark.parametrize("case", range(9))
async def test_nul_in_any_text_is_a_422_naming_the_field(
    client: AsyncClient, admin_headers: dict[str, str], product: Product, case: int
) -> None:
    method, url, arguments, location = nul_requests(product)[case]
    headers = admin_headers | arguments.pop("headers", {})

    response = await client.request(method, url, headers=headers, **arguments)

    assert response.status_code == 422, response.text
    assert location in [error["location"] for error in response.json()["errors"]]


async def test_an_address_with_a_dotted_capital_i_registers_and_logs_in(
    client: AsyncClient,
) -> None:
    body = {"email": "İnci@Example.com", "password": "Correct-Horse-42", "full_name": "İnci"}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201

    assert (await log_in(client, "İnci@Example.com")).status_code == 200
    assert (await log_in(client, "İNCI@example.com")).status_code == 200


async def test_a_login_name_that_outgrows_its_limit_when_folded_is_a_422(
    client: AsyncClient,
) -> None:
    response = await log_in(client, "İ" * 320)

    assert response.status_code == 422
    assert ["body", "username"] in [error["location"] for error in response.json()["errors"]]


async def test_the_admin_email_filter_folds_case_like_stored_emails(
    client: AsyncClient, admin_headers: dict[str, str], customer: User
) -> None:
    response = await client.get(
        "/api/v1/users", params={"email_prefix": "CUSTOMER@"}, headers=admin_headers
    )

    assert [user["id"] for user in response.json()["items"]] == [format_typeid("user", customer.id)]
