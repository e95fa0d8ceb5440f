import logging

from sqlalchemy import text

from storefront.jobs.service import JobContext, job

logger = logging.getLogger("storefront.jobs")


@job("jobs.purge_job_log")
async def purge_job_log(context: JobContext) -> None:
    """Delete the queue's log and statistics rows older than JOBS_LOG_RETENTION_DAYS."""
    parameters = {
        "days": context.settings.jobs.log_retention_days,
        "limit": context.settings.jobs.purge_batch_size,
    }
    deleted = 0
    # PgQueuer's tables, so plain SQL: they have no models.
    for table in ("pgqueuer_log", "pgqueuer_statistics"):
        result = await context.session.execute(
            text(
                f"DELETE FROM {table} WHERE id IN"  # noqa: S608 - a fixed table name
                f" (SELECT id FROM {table} WHERE created < now() - make_interval(days => :days)"
                f" LIMIT :limit)"
            ),
            parameters,
        )
        deleted += int(getattr(result, "rowcount", 0))
    logger.info("purged job log", extra={"deleted": deleted})
