"""The `storefront` command: `storefront serve` is how the API is served, everywhere;
`storefront worker` runs background jobs; `storefront jobs` shows the queue;
`storefront healthcheck` is the image's HEALTHCHECK (slim images have no curl)."""

import argparse
import asyncio
import os
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from tabulate import tabulate

from storefront.core.config import get_settings
from storefront.core.logging import configure_logging


def serve(*, host: str | None, port: int | None, reload: bool) -> None:
    settings = get_settings()
    workers = None if reload else settings.web_concurrency
    with _shared_metrics(enabled=settings.metrics_enabled and (workers or 1) > 1):
        uvicorn.run(
            "storefront.core.main:create_app",
            factory=True,
            host=host or settings.server.host,
            port=port or settings.server.port,
            reload=reload,
            reload_dirs=["src"] if reload else None,
            workers=workers,
            # After SIGTERM, requests in flight get this long; then the process exits anyway.
            timeout_graceful_shutdown=settings.server.shutdown_timeout_seconds,
            server_header=False,
            # The app reads X-Forwarded-For itself, trusting only FORWARDED_ALLOW_IPS;
            # uvicorn's own handling would trust 127.0.0.1 by default.
            proxy_headers=False,
            access_log=False,  # ours knows the request id
            log_config=None,  # the app configures logging
        )


@contextmanager
def _shared_metrics(*, enabled: bool) -> Iterator[None]:
    """Server processes write their metrics to one fresh directory, so a scrape of any
    of them reports them all (unless PROMETHEUS_MULTIPROC_DIR is set already)."""
    if not enabled or "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="storefront-metrics-") as directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def worker() -> None:
    from storefront.jobs.worker import run_worker  # imports every domain's jobs

    settings = get_settings()
    configure_logging(settings)
    asyncio.run(run_worker(settings))


async def show_jobs() -> None:
    # Imported here: `serve` must set PROMETHEUS_MULTIPROC_DIR before the metrics load.
    from storefront.core.database import (
        create_engine,
        create_sessionmaker,
        resolve_database_url,
        transaction,
    )
    from storefront.jobs.service import queue_overview

    settings = get_settings()
    engine = create_engine(await resolve_database_url(settings.database), settings.database)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            overview = await queue_overview(session)
    finally:
        await engine.dispose()
    for title, rows in overview.items():
        print(f"\n{title}:\n" + (tabulate(rows, headers="keys") if rows else "(none)"))


def healthcheck(*, path: str) -> None:
    """Exit 0 when the local server answers `path` with 200, else 1."""
    settings = get_settings()
    url = f"http://127.0.0.1:{settings.server.port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            healthy = response.status == 200
    except OSError as error:
        print(f"{url}: {error}", file=sys.stderr)
        healthy = False
    sys.exit(0 if healthy else 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="storefront", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_command = commands.add_parser(
        "serve", help="serve the API (SERVER_HOST, SERVER_PORT, WEB_CONCURRENCY)"
    )
    serve_command.add_argument("--host", help="overrides SERVER_HOST")
    serve_command.add_argument("--port", type=int, help="overrides SERVER_PORT")
    serve_command.add_argument("--reload", action="store_true", help="restart on code changes")
    commands.add_parser("worker", help="run background jobs until SIGTERM")
    commands.add_parser("jobs", help="show queued, running, failed and recent jobs")
    check_command = commands.add_parser("healthcheck", help="exit 0 if the local server is up")
    check_command.add_argument(
        "--ready", action="store_true", help="ready to serve (database reachable, migrated)"
    )
    arguments = parser.parse_args(argv)
    if arguments.command == "healthcheck":
        healthcheck(path="/health/ready" if arguments.ready else "/health/live")
    elif arguments.command == "worker":
        worker()
    elif arguments.command == "jobs":
        asyncio.run(show_jobs())
    else:
        serve(host=arguments.host, port=arguments.port, reload=arguments.reload)


if __name__ == "__main__":
    main()
