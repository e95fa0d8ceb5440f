"""An order's confirmation is a job in the order's own unit of work, and one mail."""

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.core.config import Settings
from storefront.orders import service
from storefront.orders.jobs import send_order_confirmation
from storefront.orders.models import Order
from storefront.orders.schemas import OrderCreate
from storefront.shared.ids import format_typeid, parse_typeid
from storefront.users.models import User
from tests.conftest import SmtpServer
from tests.factories import create_product, order_body, queued_payloads, run_queued

ORDERS = "/api/v1/orders"


async def test_a_committed_order_queues_exactly_one_confirmation(
    client: AsyncClient, session: AsyncSession, customer_headers: dict[str, str]
) -> None:
    product = await create_product(session)

    response = await client.post(
        ORDERS, json=order_body((product, 2)), headers=customer_headers | {"Idempotency-Key": "k1"}
    )

    assert response.status_code == 201
    order_id = str(parse_typeid("ord", response.json()["id"]))
    assert await queued_payloads(session, send_order_confirmation) == [{"order_id": order_id}]


async def test_a_replayed_order_request_queues_nothing_more(
    client: AsyncClient, session: AsyncSession, customer_headers: dict[str, str]
) -> None:
    product = await create_product(session)
    headers = customer_headers | {"Idempotency-Key": "same-key"}

    first = await client.post(ORDERS, json=order_body((product, 1)), headers=headers)
    replay = await client.post(ORDERS, json=order_body((product, 1)), headers=headers)

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert len(await queued_payloads(session, send_order_confirmation)) == 1


async def test_an_order_rolled_back_leaves_no_job(session: AsyncSession, customer: User) -> None:
    product = await create_product(session)
    order = OrderCreate.model_validate(order_body((product, 1)))

    savepoint = await session.begin_nested()
    placed = await service.place_order(session, user_id=customer.id, order=order)
    assert len(await queued_payloads(session, send_order_confirmation)) == 1
    await savepoint.rollback()

    assert await queued_payloads(session, send_order_confirmation) == []
    assert await session.scalar(select(func.count()).where(Order.id == placed.id)) == 0


async def test_the_owner_gets_one_mail_with_the_order(
    client: AsyncClient,
    session: AsyncSession,
    customer: User,
    customer_headers: dict[str, str],
    settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    lamp = await create_product(session, name="Desk <Lamp>", sku="LAMP-1", price_cents=123456)
    cable = await create_product(session, name="Cable", sku="CABLE-1", price_cents=250)
    response = await client.post(
        ORDERS,
        json=order_body((lamp, 1), (cable, 3)),
        headers=customer_headers | {"Idempotency-Key": "mail"},
    )
    order_id = response.json()["id"]
    mailing = settings.model_copy(update={"smtp": smtp_server.settings})

    assert await run_queued(session, mailing, send_order_confirmation) == 1
    # Run again, as after a worker died before recording the job as done: no second mail.
    await send_order_confirmation.enqueue(session, order_id=parse_typeid("ord", order_id))
    assert await run_queued(session, mailing, send_order_confirmation) == 1

    [mail] = smtp_server.messages
    assert mail["To"] == customer.email
    assert order_id in mail["Subject"]
    assert "1,242.06 USD" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert order_id in text
    assert "1 x Desk <Lamp> (LAMP-1) at 1,234.56 USD: 1,234.56 USD" in text
    assert "3 x Cable (CABLE-1) at 2.50 USD: 7.50 USD" in text
    assert "Total: 1,242.06 USD" in text
    assert "Desk &lt;Lamp&gt;" in html
    assert "<Lamp>" not in html
    assert format_typeid("ord", parse_typeid("ord", order_id)) in html
