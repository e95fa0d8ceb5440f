"""GET /metrics: every metric for Prometheus (see core/metrics.py), left out of the
OpenAPI document; with METRICS_TOKEN set, only for its bearer."""

import asyncio
import logging

from fastapi import APIRouter, Request, Response
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storefront.core import metrics
from storefront.core.config import AppSettings
from storefront.core.database import ReadTransactions
from storefront.shared.exceptions import NotAuthenticatedError

logger = logging.getLogger(__name__)


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def scrape(
    request: Request, settings: AppSettings, transactions: ReadTransactions
) -> Response:
    """Every metric, for Prometheus; with METRICS_TOKEN set, only for its bearer."""
    token = settings.metrics.token
    if token is not None and not metrics.bearer_token_matches(
        request.headers.get("Authorization"), token.get_secret_value()
    ):
        raise NotAuthenticatedError(
            "Scraping metrics needs the metrics token.", headers={"WWW-Authenticate": "Bearer"}
        )
    try:
        async with asyncio.timeout(settings.database.ready_timeout_seconds):
            async with transactions() as session:
                jobs = [
                    (job, status, count)
                    for job, status, count in await session.execute(text(metrics.JOB_COUNTS))
                ]
    except (TimeoutError, OSError, DBAPIError):  # the rest is still worth reporting
        logger.warning("metrics: the job queue could not be read")
        jobs = []
    body, content_type = metrics.exposition(jobs)
    return Response(body, media_type=content_type)
