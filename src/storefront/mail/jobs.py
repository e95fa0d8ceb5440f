import logging
from datetime import timedelta

from sqlalchemy import func

from storefront.jobs.service import JobContext, job
from storefront.mail.models import MailDelivery
from storefront.shared.purge import purge

logger = logging.getLogger("storefront.mail")


@job("mail.purge_deliveries")
async def purge_deliveries(context: JobContext) -> None:
    """Forget mails sent longer ago than the job log is kept: a job that old is not
    run again by the queue (a failed one re-queued by hand may then mail again)."""
    deleted = await purge(
        context.session,
        MailDelivery,
        MailDelivery.sent_at
        < func.now() - timedelta(days=context.settings.jobs.log_retention_days),
        limit=context.settings.jobs.purge_batch_size,
    )
    logger.info("purged mail deliveries", extra={"deleted": deleted})
