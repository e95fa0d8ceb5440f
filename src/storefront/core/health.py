"""Liveness and readiness probes, cheap enough for a load balancer to poll."""

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from storefront.core.errors import problem_responses
from storefront.core.migrations import applied_versions
from storefront.shared.exceptions import ServiceUnavailableError

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/health", tags=["health"])


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ok"] = "ok"
    checks: dict[str, str]


class NotReadyError(ServiceUnavailableError):
    code = "not_ready"
    title = "Not Ready"


@router.get("/live")
async def live() -> Liveness:
    """The process is up; touches nothing else."""
    return Liveness()


@router.get("/ready", responses=problem_responses(503))
async def ready(request: Request) -> Readiness:
    """The database answers and every migration file is applied."""
    # Autocommit: no BEGIN/ROLLBACK around a probe that only reads.
    engine: AsyncEngine = request.app.state.read_engine
    expected: list[str] = request.app.state.migration_versions
    timeout = request.app.state.settings.database.ready_timeout_seconds
    try:
        async with asyncio.timeout(timeout), engine.connect() as connection:
            applied = await applied_versions(connection)
    except (OSError, SQLAlchemyError) as exc:  # TimeoutError is an OSError
        logger.warning("Readiness: database check failed: %r", exc)
        raise NotReadyError(
            "The database did not answer.",
            extensions={"checks": {"database": "failed", "migrations": "unknown"}},
        ) from exc
    pending = [version for version in expected if version not in applied]
    if pending:
        raise NotReadyError(
            f"{len(pending)} migration(s) not applied.",
            extensions={
                "checks": {"database": "ok", "migrations": "pending"},
                "pending_migrations": pending,
            },
        )
    return Readiness(checks={"database": "ok", "migrations": "ok"})
