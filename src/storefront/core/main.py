"""The application factory: `uvicorn --factory storefront.core.main:create_app`."""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from storefront.auth.passwords import PasswordHasher
from storefront.auth.router import router as auth_router
from storefront.catalog.router import router as catalog_router
from storefront.core import health, metrics, metrics_router, tracing
from storefront.core.config import API_PREFIX, Settings, get_settings
from storefront.core.database import (
    autocommit,
    create_engine,
    create_read_pool,
    create_sessionmaker,
    resolve_database_url,
)
from storefront.core.errors import finish_openapi, register_error_handlers
from storefront.core.logging import configure_logging
from storefront.core.middleware import (
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from storefront.core.migrations import migration_versions
from storefront.orders.router import router as orders_router
from storefront.users.router import router as users_router

# Every domain's routes, under the versioned prefix. Included straight into the
# app: each level of nested routers is another match on every request.
DOMAIN_ROUTERS = [auth_router, users_router, catalog_router, orders_router]


def tune_garbage_collector() -> None:
    """Under load, collections took a sixth of request CPU (py-spy): each request
    allocates thousands of objects, and every few hundred allocations the
    collector walked every live object, start-up's included. Start-up objects
    live as long as the process, so they are frozen out of its reach, and young
    collections run every 10,000 allocations instead of 700 (about +25% req/s
    on GET /products/{id})."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = await resolve_database_url(settings.database)
        engine = create_engine(url, settings.database)
        app.state.engine = engine
        app.state.read_pool = read_pool = await create_read_pool(url, settings.database)
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.read_engine = autocommit(engine)
        app.state.read_sessionmaker = create_sessionmaker(app.state.read_engine)
        tune_garbage_collector()
        try:
            yield
        finally:
            # Closing connections to a stalled database would wait forever, and
            # keep a process that was told to stop alive.
            try:
                async with asyncio.timeout(settings.database.statement_timeout_seconds):
                    await read_pool.close()
                    await engine.dispose()
            except TimeoutError:
                read_pool.terminate()
            metrics.process_stopped()

    app = FastAPI(
        title="Storefront API",
        version=version("storefront"),
        debug=settings.debug,
        lifespan=lifespan,
        # FastAPI's built-in OpenTelemetry makes the server spans when tracing is on
        # (core/tracing.py); otherwise it is off, as merely checking for a provider
        # costs environment lookups on every request. Metrics are Prometheus's.
        telemetry={
            "tracing": tracing.configure(),
            "metrics": False,
            "logs": False,
            "operation_spans": False,
        },
        # The API's map is for its developers, not for whoever finds the host.
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    app.state.settings = settings
    app.state.password_hasher = PasswordHasher(settings.auth)
    # Files cannot change under a running process, so read them once.
    app.state.migration_versions = migration_versions(settings.migrations_dir)

    register_error_handlers(app)
    finish_openapi(app)
    # Added innermost first: CORS wraps everything, so even a 500 carries its headers.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.server.max_body_bytes)
    route_templates: dict[int, str] = {}  # filled as the routers are included below
    app.add_middleware(
        RequestContextMiddleware,
        route_templates=route_templates if settings.metrics_enabled else None,
    )
    app.add_middleware(SecurityHeadersMiddleware, strict_transport=settings.is_production)
    if settings.cors.origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors.origins,
            allow_credentials=settings.cors.allow_credentials,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "ETag", "Location", "Retry-After"],
        )

    app.include_router(health.router)
    if settings.metrics_enabled:
        app.include_router(metrics_router.router)
    for router in DOMAIN_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
        route_templates.update(
            {
                id(route): API_PREFIX + route.path
                for route in router.routes
                if isinstance(route, APIRoute)
            }
        )
    return app
