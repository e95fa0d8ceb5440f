"""Liveness and readiness probes, cheap enough for a load balancer to poll."""

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
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


# Checks still finishing after their probe answered; referenced so they are not
# garbage-collected mid-flight.
_running_checks: set["asyncio.Future[set[str]]"] = set()


def _forget_check(check: "asyncio.Future[set[str]]") -> None:
    _running_checks.discard(check)
    if not check.cancelled():
        check.exception()  # a late failure was already reported as not ready


async def _applied_versions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return await applied_versions(connection)


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
    # The check runs as a task the probe stops waiting for: cancelling a check
    # stuck on a stalled database would itself wait for the connection's cleanup.
    check = asyncio.ensure_future(_applied_versions(engine))
    _running_checks.add(check)
    check.add_done_callback(_forget_check)
    done, _ = await asyncio.wait({check}, timeout=timeout)
    failure = check.exception() if done else TimeoutError(f"no answer in {timeout} s")
    if failure is not None:
        check.cancel()
        logger.warning("Readiness: database check failed: %r", failure)
        raise NotReadyError(
            "The database did not answer.",
            extensions={"checks": {"database": "failed", "migrations": "unknown"}},
        )
    applied = check.result()
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
