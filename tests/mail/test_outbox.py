"""Without SMTP_HOST (development), mails are logged and written as .eml files."""

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from storefront.core.config import SmtpSettings
from storefront.mail import service as mail


async def test_without_smtp_host_a_mail_lands_in_the_outbox_and_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = SmtpSettings(outbox_dir=tmp_path / "mail")
    message = mail.compose(
        settings,
        to="ada@example.com",
        key="order-placed:1",
        package="storefront.orders",
        template="order_placed",
        name="Ada",
        order_id="ord_1",
        lines=[],
        total="0.00 USD",
    )

    with caplog.at_level("INFO", logger="storefront.mail"):
        await mail.send(settings, message)

    [written] = (tmp_path / "mail").glob("*.eml")
    parsed = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert parsed["To"] == "ada@example.com"
    assert parsed["Subject"] == "Your order ord_1: 0.00 USD"
    assert [part.get_content_type() for part in parsed.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert "thank you for your order ord_1" in caplog.text
