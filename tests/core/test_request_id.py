import logging

import pytest
from httpx import AsyncClient


async def test_a_sane_incoming_request_id_is_echoed(client: AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "edge-7f3a.42:1"})

    assert response.headers["x-request-id"] == "edge-7f3a.42:1"


@pytest.mark.parametrize(
    "unsafe",
    ["x" * 129, "has space", "new\\nline", "<script>", ""],
    ids=["too-long", "space", "backslash", "markup", "empty"],
)
async def test_an_unsafe_request_id_is_replaced_by_a_generated_one(
    client: AsyncClient, unsafe: str
) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": unsafe})

    generated = response.headers["x-request-id"]
    assert generated != unsafe
    assert len(generated) == 32
    assert int(generated, 16) >= 0


async def test_each_request_without_an_id_gets_its_own(client: AsyncClient) -> None:
    first = await client.get("/health/live")
    second = await client.get("/health/live")

    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_the_request_id_is_in_error_bodies(client: AsyncClient) -> None:
    response = await client.get("/missing", headers={"X-Request-ID": "trace-me"})

    assert response.json()["request_id"] == "trace-me"


async def test_a_500_carries_the_request_id_in_header_and_body(probe_client: AsyncClient) -> None:
    response = await probe_client.get("/probe/crash", headers={"X-Request-ID": "crash-1"})

    assert response.headers["x-request-id"] == "crash-1"
    assert response.json()["request_id"] == "crash-1"


async def test_one_access_log_line_per_request_with_its_request_id(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="storefront.access"):
        await client.get("/health/live", headers={"X-Request-ID": "log-me"})

    [record] = [r for r in caplog.records if r.name == "storefront.access"]
    assert record.__dict__["request_id"] == "log-me"
    assert (record.__dict__["method"], record.__dict__["path"], record.__dict__["status"]) == (
        "GET",
        "/health/live",
        200,
    )
    assert record.__dict__["duration_ms"] >= 0


async def test_logs_written_while_handling_a_request_carry_its_id(
    probe_client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="storefront.core.errors"):
        await probe_client.get("/probe/crash", headers={"X-Request-ID": "crash-log"})

    [record] = [r for r in caplog.records if r.name == "storefront.core.errors"]
    assert record.__dict__["request_id"] == "crash-log"
