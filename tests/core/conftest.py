"""An app with extra routes that exercise the foundation's error and transaction handling."""

from collections.abc import AsyncIterator

import pytest
from fastapi import APIRouter, FastAPI, Response
from httpx import AsyncClient
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.config import Settings
from storefront.core.database import DbSession
from storefront.core.main import create_app
from storefront.shared.exceptions import ConflictError
from storefront.users.models import User
from tests.conftest import client_for


class Widget(BaseModel):
    name: str = Field(min_length=1, max_length=10)
    quantity: int = Field(ge=0)


class WidgetTakenError(ConflictError):
    code = "widget_taken"
    title = "Widget Taken"


def new_user(email: str) -> User:
    return User(email=email, full_name="Probe", hashed_password="not-a-real-hash")


probe_router = APIRouter(prefix="/probe")


@probe_router.post("/widgets", status_code=201)
async def create_widget(widget: Widget) -> Widget:
    """Validate a body."""
    return widget


@probe_router.get("/conflict")
async def conflict() -> None:
    """Raise a domain error."""
    raise WidgetTakenError("That widget is taken.")


@probe_router.get("/crash")
async def crash() -> None:
    """Fail unexpectedly, with internals in the message."""
    raise RuntimeError("secret internals: password=hunter2")


@probe_router.get("/cacheable")
async def cacheable(response: Response) -> None:
    """Say how the response may be cached, and try to loosen a hardening header."""
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"


@probe_router.post("/users/{email}", status_code=201)
async def add_user(email: str, session: DbSession) -> None:
    """Insert a user; the unit of work commits it."""
    session.add(new_user(email))


@probe_router.post("/users/{email}/twice", status_code=201)
async def add_user_twice(email: str, session: DbSession) -> None:
    """Insert the same user twice without flushing: the unit of work's commit fails."""
    session.add_all([new_user(email), new_user(email)])


@probe_router.post("/users/{email}/then-fail")
async def add_user_then_fail(email: str, session: DbSession) -> None:
    """Insert a user, flush, then fail; the unit of work rolls it back."""
    session.add(new_user(email))
    await session.flush()
    raise WidgetTakenError("Failing after the insert.")


@pytest.fixture(scope="session")
async def probe_app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    app.include_router(probe_router)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def probe_client(probe_app: FastAPI, session: AsyncSession) -> AsyncIterator[AsyncClient]:
    async with client_for(probe_app, session) as client:
        yield client
