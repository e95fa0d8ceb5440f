"""GET /metrics: Prometheus's text format, route templates, what moves, who may scrape."""

from collections.abc import Callable

import pytest
from httpx import AsyncClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.config import MetricsSettings, Settings
from storefront.core.main import create_app
from storefront.idempotency.jobs import purge_expired_records
from storefront.users.models import User
from tests.conftest import DatabaseUnderTest, client_for
from tests.factories import PASSWORD, create_product, log_in, order_body


async def scrape(
    client: AsyncClient, **headers: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels; the text must parse."""
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_requests_are_counted_by_route_template_and_status_class(
    client: AsyncClient, session: AsyncSession
) -> None:
    product = await create_product(session)
    route = "/api/v1/products/{product_id}"
    before = await scrape(client)

    for _ in range(3):
        assert (await client.get(f"/api/v1/products/prod_{'0' * 26}")).status_code == 404
    product_id = (await client.get("/api/v1/products", params={"limit": 1})).json()["items"][0][
        "id"
    ]
    assert (await client.get(f"/api/v1/products/{product_id}")).status_code == 200
    after = await scrape(client)

    counted = "http_requests_total"
    assert (
        value(after, counted, method="GET", route=route, status="4xx")
        - value(before, counted, method="GET", route=route, status="4xx")
        == 3
    )
    assert (
        value(after, counted, method="GET", route=route, status="2xx")
        - value(before, counted, method="GET", route=route, status="2xx")
        == 1
    )
    assert not [key for key in after if product_id in str(key) or str(product.id) in str(key)]
    observed = "http_request_duration_seconds_count"
    assert (
        value(after, observed, method="GET", route=route)
        - value(before, observed, method="GET", route=route)
        == 4
    )
    assert ("http_requests_in_flight", ()) in after
    assert ("db_pool_checked_out", (("pool", "orm"),)) in after
    assert ("db_pool_checked_out", (("pool", "reads"),)) in after


async def test_logins_orders_stock_and_jobs_move(
    client: AsyncClient,
    session: AsyncSession,
    customer: User,
    customer_headers: dict[str, str],
) -> None:
    product = await create_product(session, stock=10)
    await purge_expired_records.enqueue(session)
    before = await scrape(client)

    assert (await log_in(client, customer.email, "wrong-password")).status_code == 401
    assert (await log_in(client, customer.email, PASSWORD)).status_code == 200
    placed = await client.post(
        "/api/v1/orders",
        json=order_body((product, 4)),
        headers=customer_headers | {"Idempotency-Key": "metrics"},
    )
    assert placed.status_code == 201
    after = await scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("logins_total", outcome="failure") == 1
    assert moved("logins_total", outcome="success") == 1
    assert moved("orders_placed_total") == 1
    assert moved("stock_units_reserved_total") == 4
    assert value(after, "jobs", job=purge_expired_records.name, status="queued") >= 1
    assert moved("jobs", job="orders.send_confirmation", status="queued") == 1


async def test_metrics_are_left_out_of_the_openapi_document(client: AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert "/metrics" not in paths


async def test_with_a_token_only_its_bearer_may_scrape(
    settings_for: Callable[..., Settings], test_database: DatabaseUnderTest
) -> None:
    settings = settings_for(
        test_database.url, metrics=MetricsSettings(enabled=True, token=SecretStr("s3cret-token"))
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_for(app) as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        samples = await scrape(client, Authorization="Bearer s3cret-token")

    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.headers["content-type"] == "application/problem+json"
    assert samples


@pytest.mark.parametrize(("environment", "status"), [("production", 404), ("development", 200)])
async def test_metrics_are_on_by_default_except_in_production(
    settings_for: Callable[..., Settings],
    test_database: DatabaseUnderTest,
    environment: str,
    status: int,
) -> None:
    app = create_app(settings_for(test_database.url, environment=environment))
    async with app.router.lifespan_context(app), client_for(app) as client:
        assert (await client.get("/metrics")).status_code == status
