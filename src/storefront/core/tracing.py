"""OpenTelemetry traces: off unless the standard environment asks for them
(`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
`OTEL_TRACES_EXPORTER`), and then, per process:

- a server span per request, named by its route template (FastAPI's own telemetry);
- a client span per SQL statement, ORM and hand-written alike (asyncpg's instrumentation);
- a span per job run, whose parent is the request (or job) that enqueued it: the
  trace context travels in the job's headers (PgQueuer's OpenTelemetry support);
- `trace_id` and `span_id` on every log line written inside a span.

Exporters: `otlp` (the default; OTLP over HTTP, configured by the standard
`OTEL_EXPORTER_OTLP_*` variables) or `console`. `OTEL_SERVICE_NAME` names the
service (default `storefront`).
"""

import os

from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from pgqueuer.adapters.tracing.opentelemetry import OpenTelemetryTracing
from pgqueuer.ports.tracing import TRACER, set_tracing_class

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_configured = False


def requested() -> bool:
    """Whether the environment asks for traces."""
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "")
    if exporter == "none":
        return False
    return bool(exporter) or any(os.environ.get(name) for name in _ENDPOINTS)


def configure(provider: TracerProvider | None = None) -> bool:
    """Turn tracing on for this process, once: with `provider` (tests pass one with an
    in-memory exporter), or as the environment asks. Whether tracing is on."""
    global _configured
    if _configured:
        return True
    if provider is None:
        if not requested():
            return False
        service = os.environ.get("OTEL_SERVICE_NAME", "storefront")
        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
        provider.add_span_processor(BatchSpanProcessor(_exporter()))
    trace.set_tracer_provider(provider)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    set_tracing_class(OpenTelemetryTracing())
    _configured = True
    return True


def enabled() -> bool:
    return _configured


def reset() -> None:
    """Undo `configure` (for tests); the provider stays installed, as OpenTelemetry lets
    a process set it only once, but nothing uses it until `configure` again."""
    global _configured
    if _configured:
        AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
        TRACER.tracer = None
        _configured = False


def _exporter() -> SpanExporter:
    name = os.environ.get("OTEL_TRACES_EXPORTER", "otlp")
    if name == "console":
        return ConsoleSpanExporter()
    if name != "otlp":
        raise RuntimeError(f"OTEL_TRACES_EXPORTER={name!r}: use otlp, console or none")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def current_ids() -> tuple[str, str] | None:
    """The current trace and span id, as hex, inside a span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
