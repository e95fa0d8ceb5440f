import uuid

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storefront.jobs.service import JobContext, job
from storefront.mail import service as mail
from storefront.orders.models import Order
from storefront.shared.ids import format_typeid
from storefront.users import service as users_service


def money(cents: int, currency: str) -> str:
    return f"{cents // 100:,}.{cents % 100:02d} {currency}"


@job("orders.send_confirmation")
async def send_order_confirmation(context: JobContext, *, order_id: uuid.UUID) -> None:
    """Mail the order's owner its id, lines and total (once per order)."""
    order = await context.session.scalar(
        select(Order).options(selectinload(Order.lines)).where(Order.id == order_id)
    )
    if order is None:
        return
    owner = await users_service.get_user(context.session, order.user_id)
    key = f"order-placed:{order.id}"
    if not await mail.claim(context.session, key=key, recipient=owner.email):
        return
    message = mail.compose(
        context.settings.smtp,
        to=owner.email,
        key=key,
        package=__package__ or "storefront.orders",
        template="order_placed",
        name=owner.full_name,
        order_id=format_typeid("ord", order.id),
        lines=[
            {
                "name": line.name,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": money(line.unit_price_cents, order.currency),
                "total": money(line.line_total_cents, order.currency),
            }
            for line in order.lines
        ],
        total=money(order.total_cents, order.currency),
    )
    await mail.send(context.settings.smtp, message)
