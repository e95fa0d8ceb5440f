"""What a production deployment exposes: no API map by default, HSTS on every response."""

from collections.abc import Callable

import pytest

from storefront.core.config import ServerSettings, Settings
from storefront.core.main import create_app
from tests.conftest import DatabaseUnderTest, client_for

DOCS = ["/docs", "/redoc", "/openapi.json"]


@pytest.mark.parametrize("path", DOCS)
async def test_production_serves_no_docs_by_default(
    settings_for: Callable[..., Settings], test_database: DatabaseUnderTest, path: str
) -> None:
    app = create_app(settings_for(test_database.url, environment="production"))
    async with client_for(app) as client:
        assert (await client.get(path)).status_code == 404


async def test_production_serves_docs_when_told_to(
    settings_for: Callable[..., Settings], test_database: DatabaseUnderTest
) -> None:
    settings = settings_for(
        test_database.url, environment="production", server=ServerSettings(docs_enabled=True)
    )
    async with client_for(create_app(settings)) as client:
        assert [(await client.get(path)).status_code for path in DOCS] == [200, 200, 200]


@pytest.mark.parametrize(("environment", "hsts"), [("production", True), ("development", False)])
async def test_production_responses_demand_https(
    settings_for: Callable[..., Settings],
    test_database: DatabaseUnderTest,
    environment: str,
    hsts: bool,
) -> None:
    app = create_app(settings_for(test_database.url, environment=environment))
    async with client_for(app) as client:
        responses = [await client.get("/health/live"), await client.get("/missing")]

    for response in responses:
        assert ("strict-transport-security" in response.headers) is hsts
        if hsts:
            assert response.headers["strict-transport-security"].startswith("max-age=31536000")
