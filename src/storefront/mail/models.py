from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.shared.models import Base


class MailDelivery(Base):
    """A mail handed to the SMTP server, by the key of what it is about: a job run
    again finds it here and sends nothing more."""

    __tablename__ = "mail_deliveries"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    sent_at: Mapped[datetime] = mapped_column(index=True)
