"""Traces, through the SDK's in-memory exporter: a request that places an order, its
SQL statements, and the job it enqueued, run by a real worker, in one trace."""

import asyncio
import io
import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from storefront.auth.passwords import PasswordHasher
from storefront.core import tracing
from storefront.core.config import JobsSettings
from storefront.core.database import transaction
from storefront.core.logging import log_handler
from storefront.core.main import create_app
from storefront.jobs.worker import run_worker
from tests.conftest import DatabaseUnderTest, SmtpServer, client_for, make_settings
from tests.factories import bearer, create_product, create_user, log_in_tokens, order_body

_EXPORTER = InMemorySpanExporter()
_PROVIDER = TracerProvider()  # OpenTelemetry lets a process set its provider only once
_PROVIDER.add_span_processor(SimpleSpanProcessor(_EXPORTER))


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on, into memory, for one test."""
    tracing.configure(_PROVIDER)
    _EXPORTER.clear()
    yield _EXPORTER
    tracing.reset()


def descends_from(
    span: ReadableSpan, ancestor: ReadableSpan, by_id: dict[int, ReadableSpan]
) -> bool:
    parent = span.parent
    while parent is not None:
        if parent.span_id == ancestor.context.span_id:
            return True
        parent = by_id[parent.span_id].parent if parent.span_id in by_id else None
    return False


async def test_an_order_request_its_sql_and_its_job_make_one_trace(
    spans: InMemorySpanExporter,
    test_database: DatabaseUnderTest,
    smtp_server: SmtpServer,
    hasher: PasswordHasher,
) -> None:
    settings = make_settings(
        await test_database.copy("tracing"),
        smtp=smtp_server.settings,
        jobs=JobsSettings(heartbeat_timeout_seconds=1),
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_for(app) as client:
        async with transaction(app.state.sessionmaker) as session:
            user = await create_user(session, hasher)
            product = await create_product(session)
        headers = bearer((await log_in_tokens(client, user.email))["access_token"])
        spans.clear()
        lines = io.StringIO()
        handler = log_handler(settings)  # the app's own, writing here
        handler.setStream(lines)
        access_log = logging.getLogger("storefront.access")
        access_log.addHandler(handler)
        try:
            placed = await client.post(
                "/api/v1/orders",
                json=order_body((product, 1)),
                headers=headers | {"Idempotency-Key": "traced"},
            )
        finally:
            access_log.removeHandler(handler)
        assert placed.status_code == 201
        shutdown = asyncio.Event()
        worker = asyncio.create_task(run_worker(settings, shutdown=shutdown, periodic=[]))
        for _ in range(200):
            if smtp_server.messages:
                break
            await asyncio.sleep(0.05)
        shutdown.set()
        await worker

    finished = spans.get_finished_spans()
    by_id = {span.context.span_id: span for span in finished}
    [request] = [span for span in finished if span.name == "POST /api/v1/orders"]
    assert request.kind is SpanKind.SERVER
    statements = [
        span
        for span in finished
        if span.kind is SpanKind.CLIENT and descends_from(span, request, by_id)
    ]
    assert {"INSERT", "SELECT", "UPDATE"} <= {span.name for span in statements}
    [send] = [span for span in finished if span.name == "send orders.send_confirmation"]
    [process] = [span for span in finished if span.name == "process orders.send_confirmation"]
    assert descends_from(send, request, by_id)
    assert process.context.trace_id == request.context.trace_id
    assert process.parent is not None
    assert process.parent.span_id == send.context.span_id
    assert any(
        span.kind is SpanKind.CLIENT and descends_from(span, process, by_id) for span in finished
    )  # the job's own SQL
    trace_id = format(request.context.trace_id, "032x")
    [access_line] = lines.getvalue().splitlines()
    assert "POST /api/v1/orders 201" in access_line
    assert f"trace_id={trace_id}" in access_line
    assert f"[{placed.headers['X-Request-ID']}]" in access_line
