import logging

from sqlalchemy import func

from storefront.idempotency.models import IdempotencyRecord
from storefront.jobs.service import JobContext, job
from storefront.shared.purge import purge

logger = logging.getLogger("storefront.idempotency")


@job("idempotency.purge_expired_records")
async def purge_expired_records(context: JobContext) -> None:
    """Delete idempotency records past their 24 hours."""
    deleted = await purge(
        context.session,
        IdempotencyRecord,
        IdempotencyRecord.expires_at <= func.now(),
        limit=context.settings.jobs.purge_batch_size,
    )
    logger.info("purged idempotency records", extra={"deleted": deleted})
