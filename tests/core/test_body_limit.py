"""Request bodies are limited while they stream in, before parsing and authentication."""

from collections.abc import AsyncIterator, Callable

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from storefront.core.config import ServerSettings, Settings
from storefront.core.main import create_app
from tests.conftest import DatabaseUnderTest, client_for
from tests.core.test_errors import assert_problem

LIMIT = 1024
CHUNK = b"x" * 256


@pytest.fixture(scope="module")
async def small_limit_app(
    settings_for: Callable[..., Settings], test_database: DatabaseUnderTest
) -> AsyncIterator[FastAPI]:
    app = create_app(settings_for(test_database.url, server=ServerSettings(max_body_bytes=LIMIT)))
    async with app.router.lifespan_context(app):
        yield app


class Upload:
    """A request body that counts how much of it the server pulled."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.sent += 1
            yield CHUNK


def test_the_default_limit_is_one_mebibyte() -> None:
    assert ServerSettings().max_body_bytes == 1024 * 1024


async def test_a_declared_length_over_the_limit_is_refused_without_reading_the_body(
    small_limit_app: FastAPI,
) -> None:
    upload = Upload(chunks=40_000)  # 10 MB, declared up front
    async with client_for(small_limit_app) as client:
        # Unauthenticated: the size is judged before anything else.
        response = await client.post(
            "/api/v1/orders",
            content=upload,
            headers={
                "Content-Length": str(40_000 * len(CHUNK)),
                "Content-Type": "application/json",
            },
        )

    assert_problem(response, 413, "payload_too_large")
    assert upload.sent <= 1  # httpx may prime the stream; the app read nothing


async def test_a_streamed_body_is_cut_off_once_it_passes_the_limit(
    small_limit_app: FastAPI,
) -> None:
    upload = Upload(chunks=40_000)  # no Content-Length: chunked
    async with client_for(small_limit_app) as client:
        response = await client.post(
            "/api/v1/auth/token",
            content=upload,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    assert_problem(response, 413, "payload_too_large")
    assert upload.sent <= LIMIT // len(CHUNK) + 2


async def test_bodies_within_the_limit_are_served(small_limit_app: FastAPI) -> None:
    async with client_for(small_limit_app) as client:
        response = await client.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 200})

    assert response.status_code == 401  # read, parsed and judged: not a size problem


async def test_the_test_app_keeps_the_default_limit(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/refresh",
        content=b"{" + b" " * (1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )

    assert_problem(response, 413, "payload_too_large")
