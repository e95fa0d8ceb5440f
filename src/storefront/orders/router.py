from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from storefront.auth.dependencies import AdminUser, CurrentUser
from storefront.core.config import API_PREFIX, AppSettings
from storefront.core.database import DbSession, RawConnections, ReadSession, Transactions
from storefront.core.errors import problem_responses
from storefront.idempotency.dependencies import IdempotencyKey
from storefront.orders import repository, service
from storefront.orders.exceptions import OrderNotFoundError
from storefront.orders.schemas import OrderCreate, OrderFilters, OrderId, OrderRead
from storefront.shared.exceptions import PermissionDeniedError
from storefront.shared.pagination import LastId, Page, Paginator
from storefront.users.models import UserRole

router = APIRouter(prefix="/orders", tags=["orders"], responses=problem_responses(401))
pages = Paginator("orders", LastId)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderRead,
    responses={
        201: {
            "headers": {
                "Location": {"schema": {"type": "string"}},
                "Idempotent-Replayed": {
                    "description": "`true` when this is the stored response of an earlier "
                    "request with the same key.",
                    "schema": {"type": "string"},
                },
            }
        },
        **problem_responses(400, 409, 422),
    },
)
async def place_order(
    user: CurrentUser, key: IdempotencyKey, body: OrderCreate, transactions: Transactions
) -> JSONResponse:
    """Place an order; prices are captured now and stock is reserved, or nothing is."""
    response, replayed = await service.place_order_idempotently(
        transactions, user_id=user.id, key=key, order=body
    )
    headers = {"Location": f"{API_PREFIX}/orders/{response.body['id']}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(response.body, status_code=response.status, headers=headers)


@router.get("", responses=problem_responses(403, 422))
async def list_orders(
    user: CurrentUser,
    filters: Annotated[OrderFilters, Query()],
    session: ReadSession,
    settings: AppSettings,
) -> Page[OrderRead]:
    """Your orders, newest first; admins see everyone's and may filter by user_id."""
    if user.role is UserRole.ADMIN:
        owner = filters.user_id
    elif filters.user_id in (None, user.id):
        owner = user.id
    else:
        raise PermissionDeniedError("Only admins may list other users' orders.")
    secret = settings.secret_key.get_secret_value()
    before = pages.position(filters, secret)
    orders = await service.list_orders(
        session,
        user_id=owner,
        limit=filters.limit + 1,
        before=before.id if before else None,
    )
    return pages.page(
        [OrderRead.model_validate(order) for order in orders],
        filters,
        secret,
        position=lambda order: LastId(id=order.id),
    )


@router.get("/{order_id}", responses=problem_responses(404, 422))
async def read_order(
    user: CurrentUser, order_id: OrderId, connections: RawConnections
) -> OrderRead:
    """One of your orders (admins: any order)."""
    owner_id = None if user.role is UserRole.ADMIN else user.id
    async with connections() as connection:
        order = await repository.fetch_order(connection, order_id, owner_id=owner_id)
    if order is None:
        raise OrderNotFoundError("No order of yours has this id.")
    return order


@router.post("/{order_id}/cancel", responses=problem_responses(404, 409, 422))
async def cancel_order(user: CurrentUser, order_id: OrderId, session: DbSession) -> OrderRead:
    """Cancel a placed order; its stock goes back to the catalog."""
    return OrderRead.model_validate(await service.cancel_order(session, order_id, viewer=user))


@router.post("/{order_id}/fulfil", responses=problem_responses(403, 404, 409, 422))
async def fulfil_order(admin: AdminUser, order_id: OrderId, session: DbSession) -> OrderRead:
    """Admin: mark a placed order fulfilled."""
    return OrderRead.model_validate(await service.fulfil_order(session, order_id, viewer=admin))
