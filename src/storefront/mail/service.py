"""Outgoing mail: composed from the sending domain's templates, sent from jobs only.

A mail goes out at most once per key, however often its job runs: `claim` records
the key in the job's unit of work, and a run that finds it there sends nothing. The one
window left is between the SMTP server accepting the mail and that record being
committed: a worker that dies exactly there sends the mail again when its job is
run again. Each mail's Message-ID is derived from its key, so a receiving system
that deduplicates by Message-ID sees one mail even then.
"""

import hashlib
import logging
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate
from functools import cache
from pathlib import Path
from typing import Any

import aiosmtplib
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.config import SmtpSettings
from storefront.mail.models import MailDelivery

logger = logging.getLogger("storefront.mail")


@cache
def _templates(package: str) -> Environment:
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def compose(
    settings: SmtpSettings, *, to: str, key: str, package: str, template: str, **context: Any
) -> EmailMessage:
    """A mail from `package`'s templates/: `<template>.subject.txt`, `<template>.txt`
    (the plain-text part) and `<template>.html` (the HTML part)."""
    templates = _templates(package)
    message = EmailMessage()
    message["Subject"] = templates.get_template(f"{template}.subject.txt").render(context).strip()
    message["From"] = settings.from_address
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{digest}@storefront>"
    message.set_content(templates.get_template(f"{template}.txt").render(context))
    message.add_alternative(templates.get_template(f"{template}.html").render(context), "html")
    return message


async def claim(session: AsyncSession, *, key: str, recipient: str) -> bool:
    """Record the mail `key` as sent in the job's unit of work; False if it was sent
    already (and then send nothing). Send it last in the job, after this."""
    claimed = await session.scalar(
        insert(MailDelivery)
        .values(key=key, recipient=recipient, sent_at=func.now())
        .on_conflict_do_nothing()
        .returning(MailDelivery.key)
    )
    # A concurrent run holding the same key makes this wait until it ends.
    if claimed is None:
        logger.info("mail already sent", extra={"key": key})
    return claimed is not None


async def send(settings: SmtpSettings, message: EmailMessage) -> None:
    if settings.host is None:
        path = _write_to_outbox(settings.outbox_dir, message)
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        logger.info("mail written to %s (no SMTP_HOST)\n%s", path, text)
        return
    await aiosmtplib.send(
        message,
        hostname=settings.host,
        port=settings.port,
        username=settings.username,
        password=settings.password.get_secret_value() if settings.password else None,
        use_tls=settings.security == "tls",
        start_tls=settings.security == "starttls",
        timeout=settings.timeout_seconds,
    )
    logger.info("mail sent", extra={"to": message["To"], "subject": message["Subject"]})


def _write_to_outbox(outbox: Path, message: EmailMessage) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    message_id = str(message["Message-ID"]).strip("<>").partition("@")[0]
    path = outbox / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{message_id[:12]}.eml"
    path.write_bytes(message.as_bytes())
    return path
