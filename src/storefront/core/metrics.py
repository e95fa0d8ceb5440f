"""Prometheus metrics, served at GET /metrics when METRICS_ENABLED.

With several server processes (WEB_CONCURRENCY), `storefront serve` points
PROMETHEUS_MULTIPROC_DIR at a fresh directory before they start: each process
writes its values there, and a scrape of any one adds up all of them. Without
it (one process, tests), values live in the process.
"""

import functools
import hmac
import os
from collections.abc import Iterable, MutableMapping
from typing import Any, NamedTuple

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests by method, route template and status class.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
HTTP_IN_FLIGHT = Gauge(
    "http_requests_in_flight", "HTTP requests being served.", multiprocess_mode="livesum"
)
DB_POOL_CONNECTIONS = Gauge(
    "db_pool_connections",
    "Database connections open, by pool.",
    ["pool"],
    multiprocess_mode="livesum",
)
DB_POOL_CHECKED_OUT = Gauge(
    "db_pool_checked_out",
    "Database connections in use, by pool.",
    ["pool"],
    multiprocess_mode="livesum",
)
DB_POOL_WAITING = Gauge(
    "db_pool_waiting",
    "Requests waiting for a pooled database connection (or for one to open), by pool.",
    ["pool"],
    multiprocess_mode="livesum",
)


class PoolGauges(NamedTuple):
    connections: Gauge
    checked_out: Gauge
    waiting: Gauge


def _pool_gauges(pool: str) -> PoolGauges:
    return PoolGauges(
        DB_POOL_CONNECTIONS.labels(pool=pool),
        DB_POOL_CHECKED_OUT.labels(pool=pool),
        DB_POOL_WAITING.labels(pool=pool),
    )


# The engine's pool, and the pool of the hand-written reads (core.database).
ORM_POOL = _pool_gauges("orm")
READ_POOL = _pool_gauges("reads")
LOGINS = Counter("logins_total", "Login attempts by outcome.", ["outcome"])
ORDERS_PLACED = Counter("orders_placed_total", "Orders placed (committed).")
STOCK_RESERVED = Counter("stock_units_reserved_total", "Units of stock taken by placed orders.")

UNMATCHED_ROUTE = "<unmatched>"


def record_request(method: str, route: str, status: int | None, seconds: float) -> None:
    status_class = f"{status // 100}xx" if status else "none"
    count, duration = _request_series(method, route, status_class)
    count.inc()
    duration.observe(seconds)


# `labels()` checks and locks on every call; a series, once made, lives as long as
# the process anyway, so each is looked up once (2 us a request less).
@functools.cache
def _request_series(method: str, route: str, status_class: str) -> tuple[Counter, Histogram]:
    return HTTP_REQUESTS.labels(method, route, status_class), HTTP_DURATION.labels(method, route)


def route_of(scope: MutableMapping[str, Any], templates: dict[int, str]) -> str:
    """The matched route's template (`/api/v1/orders/{order_id}`), never the raw path.
    A route of an included router knows its path without the prefix it was included
    under: `templates` has the full one, by the route's id."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED_ROUTE
    return templates.get(id(route)) or str(route.path)


class MeteredPool(AsyncAdaptedQueuePool):
    """The engine's usual pool, keeping the pool gauges current as connections are
    asked for, opened, handed out, returned and closed."""

    # Its log lines go where the pool's would, under "sqlalchemy" (quiet unless
    # configured), not under this module at the app's INFO level.
    _sqla_logger_namespace = "sqlalchemy.pool.impl.AsyncAdaptedQueuePool"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("checkout", "checkin", "close", "close_detached"):
            event.listen(self, name, self._update)

    def _do_get(self) -> ConnectionPoolEntry:
        with ORM_POOL.waiting.track_inprogress():
            return super()._do_get()

    def _update(self, *_: object) -> None:
        ORM_POOL.checked_out.set(self.checkedout())
        ORM_POOL.connections.set(self.checkedout() + self.checkedin())


def bearer_token_matches(authorization: str | None, token: str) -> bool:
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


# The queue by job and status, and what finished within the job log's retention.
JOB_COUNTS = """
SELECT entrypoint, status::text, count(*) FROM pgqueuer GROUP BY 1, 2
UNION ALL
SELECT entrypoint, 'successful', count(*) FROM pgqueuer_log WHERE status = 'successful'
GROUP BY 1
"""


class JobsCollector(Collector):
    """The job queue's state as read from the database at scrape time."""

    def __init__(self, counts: Iterable[tuple[str, str, int]]) -> None:
        self.counts = list(counts)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        jobs = GaugeMetricFamily(
            "jobs",
            "Jobs by name and status: queued, picked (running), failed (kept), and"
            " successful (finished within JOBS_LOG_RETENTION_DAYS).",
            labels=["job", "status"],
        )
        for job, status, count in self.counts:
            jobs.add_metric([job, status], count)
        yield jobs


def exposition(jobs: Iterable[tuple[str, str, int]]) -> tuple[bytes, str]:
    """Every metric in the text format, from all server processes when there are several."""
    registry = CollectorRegistry()
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ProcessMetrics())
    registry.register(JobsCollector(jobs))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _ProcessMetrics(Collector):
    """This process's metrics (the default registry's), beside the scrape-time ones."""

    def collect(self) -> Iterable[Any]:
        yield from REGISTRY.collect()


def process_stopped() -> None:
    """Drop this process's live gauges from the shared directory when it exits."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
