import io
import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from pydantic import SecretStr

from storefront.core.config import DatabaseSettings, Settings, SmtpSettings
from storefront.core.database import create_engine
from storefront.core.logging import log_handler, request_id_var
from tests.conftest import DatabaseUnderTest


def emitted_line(settings: Settings) -> str:
    handler = log_handler(settings)
    stream = io.StringIO()
    handler.setStream(stream)
    record = logging.makeLogRecord(
        {"name": "storefront.access", "levelno": logging.INFO, "levelname": "INFO"}
        | {"msg": "GET /health/live 200", "status": 200, "duration_ms": 1.5}
    )
    token = request_id_var.set("req-42")
    try:
        handler.handle(record)
    finally:
        request_id_var.reset(token)
    return stream.getvalue()


def test_production_logs_are_one_json_object_per_line() -> None:
    settings = Settings(
        _env_file=None,
        environment="production",
        secret_key=SecretStr("s" * 40),
        database=DatabaseSettings(url=SecretStr("postgresql://app@db.internal/shop")),
        smtp=SmtpSettings(host="smtp.internal"),
    )

    line = emitted_line(settings)

    assert line.count("\n") == 1
    entry = json.loads(line)
    assert entry["message"] == "GET /health/live 200"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "storefront.access"
    assert entry["request_id"] == "req-42"
    assert (entry["status"], entry["duration_ms"]) == (200, 1.5)
    assert entry["time"].endswith("+00:00")


def test_development_logs_are_readable_text_with_the_request_id() -> None:
    line = emitted_line(Settings(_env_file=None, environment="development"))

    assert "INFO" in line
    assert "[req-42] GET /health/live 200" in line
    assert not line.startswith("{")


def test_a_json_line_inside_a_span_carries_its_trace_and_span_id() -> None:
    settings = Settings(
        _env_file=None,
        environment="production",
        secret_key=SecretStr("s" * 40),
        database=DatabaseSettings(url=SecretStr("postgresql://app@db.internal/shop")),
        smtp=SmtpSettings(host="smtp.internal"),
    )
    tracer = TracerProvider().get_tracer("test")

    outside = json.loads(emitted_line(settings))
    with tracer.start_as_current_span("request") as span:
        inside = json.loads(emitted_line(settings))

    context = span.get_span_context()
    assert "trace_id" not in outside
    assert inside["trace_id"] == format(context.trace_id, "032x")
    assert inside["span_id"] == format(context.span_id, "016x")
    assert inside["request_id"] == "req-42"


async def test_the_engine_pool_logs_nothing_at_info_as_sqlalchemy_intends(
    test_database: DatabaseUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    # SQLAlchemy keeps its loggers at WARNING; a pool subclass must not escape that
    # and narrate every dispose ("Pool disposed", "Pool recreating") at shutdown.
    caplog.set_level(logging.INFO)
    engine = create_engine(test_database.url, DatabaseSettings())
    async with engine.connect():
        pass
    await engine.dispose()

    assert [record.getMessage() for record in caplog.records if "Pool" in record.name] == []
