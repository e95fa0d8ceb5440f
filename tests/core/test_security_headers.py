from collections.abc import Callable

import pytest
from httpx import AsyncClient

from storefront.core.config import CorsSettings, Settings
from storefront.core.main import create_app
from tests.conftest import DatabaseUnderTest, client_for

HARDENING = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/health/live"), ("GET", "/missing"), ("POST", "/api/v1/auth/register")],
)
async def test_every_response_is_hardened_and_not_cacheable(
    client: AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={})

    for name, value in HARDENING.items():
        assert response.headers[name] == value
    assert response.headers["cache-control"] == "no-store"


async def test_a_route_may_allow_caching_but_not_loosen_the_hardening(
    probe_client: AsyncClient,
) -> None:
    response = await probe_client.get("/probe/cacheable")

    assert response.headers.get_list("cache-control") == ["public, max-age=60"]
    for name, value in HARDENING.items():
        assert response.headers.get_list(name) == [value]
    assert len(response.headers.get_list("x-request-id")) == 1


async def test_an_unexpected_500_is_hardened_too(probe_client: AsyncClient) -> None:
    response = await probe_client.get("/probe/crash")

    assert response.status_code == 500
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_cors_allows_only_the_configured_origins(
    settings_for: Callable[..., Settings], test_database: DatabaseUnderTest
) -> None:
    settings = settings_for(
        test_database.url, cors=CorsSettings(origins=["https://shop.example.com"])
    )
    app = create_app(settings)
    preflight = {"Access-Control-Request-Method": "POST"}
    async with app.router.lifespan_context(app), client_for(app) as client:
        allowed = await client.options(
            "/api/v1/auth/token", headers={"Origin": "https://shop.example.com", **preflight}
        )
        refused = await client.options(
            "/api/v1/auth/token", headers={"Origin": "https://evil.example.com", **preflight}
        )
        missing = await client.get("/missing", headers={"Origin": "https://shop.example.com"})

    assert allowed.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert "access-control-allow-origin" not in refused.headers
    # Error responses carry CORS headers too, so browsers can read the problem.
    assert missing.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert "x-request-id" in missing.headers["access-control-expose-headers"].lower()
