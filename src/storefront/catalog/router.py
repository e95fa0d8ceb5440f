from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from storefront.auth.dependencies import AdminUser, OptionalUser
from storefront.catalog import repository, service
from storefront.catalog.exceptions import ProductNotFoundError
from storefront.catalog.schemas import (
    ProductCreate,
    ProductFilters,
    ProductId,
    ProductPosition,
    ProductRead,
    ProductUpdate,
)
from storefront.core.config import API_PREFIX, AppSettings
from storefront.core.database import DbSession, RawConnections
from storefront.core.errors import problem_responses
from storefront.shared.conditional import IfMatchVersions, etag_for, is_current
from storefront.shared.exceptions import NotAuthenticatedError, PermissionDeniedError
from storefront.shared.ids import format_typeid
from storefront.shared.pagination import Page, Paginator
from storefront.shared.text import Text
from storefront.users.models import UserRole

router = APIRouter(prefix="/products", tags=["catalog"])
pages = Paginator("products", ProductPosition)

ETAG_HEADER = {"ETag": {"description": "The product's version.", "schema": {"type": "string"}}}


@router.get("", responses=problem_responses(401, 403, 422))
async def list_products(
    filters: Annotated[ProductFilters, Query()],
    viewer: OptionalUser,
    connections: RawConnections,
    settings: AppSettings,
) -> Page[ProductRead]:
    """The catalog, a page at a time, in a stable order."""
    if filters.include_archived:
        if viewer is None:
            raise NotAuthenticatedError("Log in as an admin to see archived products.")
        if viewer.role is not UserRole.ADMIN:
            raise PermissionDeniedError("Only admins may see archived products.")
    secret = settings.secret_key.get_secret_value()
    after = pages.position(filters, secret)
    async with connections() as connection:
        products = await repository.fetch_products(
            connection,
            limit=filters.limit + 1,
            sort=filters.sort,
            after=service.sort_key_of(after, filters.sort) if after else None,
            q=filters.q,
            min_price=filters.min_price,
            max_price=filters.max_price,
            include_archived=filters.include_archived,
        )
    return pages.page(
        products,
        filters,
        secret,
        position=lambda product: service.position_of(product, filters.sort),
    )


@router.get(
    "/{product_id}",
    response_model=ProductRead,
    responses={
        200: {"headers": ETAG_HEADER},
        304: {"description": "Your copy (If-None-Match) is current."},
        **problem_responses(404, 422),
    },
)
async def read_product(
    product_id: ProductId,
    connections: RawConnections,
    response: Response,
    if_none_match: Annotated[Annotated[str, Text(max_length=1024)] | None, Header()] = None,
) -> ProductRead | Response:
    """One product, with an ETag; If-None-Match with it answers 304."""
    async with connections() as connection:
        product = await repository.fetch_product(connection, product_id)
    if product is None:
        raise ProductNotFoundError("No product has this id.")
    etag = etag_for(product.version)
    if is_current(if_none_match, product.version):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return product


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={201: {"headers": ETAG_HEADER}, **problem_responses(401, 403, 409, 422)},
)
async def create_product(
    _: AdminUser,
    body: ProductCreate,
    session: DbSession,
    settings: AppSettings,
    response: Response,
) -> ProductRead:
    """Admin: add a product."""
    product = await service.create_product(
        session,
        **body.model_dump(exclude={"currency"}),
        currency=body.currency or settings.catalog.default_currency,
    )
    response.headers["Location"] = f"{API_PREFIX}/products/{format_typeid('prod', product.id)}"
    response.headers["ETag"] = etag_for(product.version)
    return ProductRead.model_validate(product)


@router.patch(
    "/{product_id}",
    responses={
        200: {"headers": ETAG_HEADER},
        **problem_responses(401, 403, 404, 409, 412, 422, 428),
    },
)
async def update_product(
    _: AdminUser,
    product_id: ProductId,
    body: ProductUpdate,
    expected_versions: IfMatchVersions,
    session: DbSession,
    response: Response,
) -> ProductRead:
    """Admin: change a product; If-Match must carry its current ETag."""
    product = await service.update_product(
        session,
        product_id,
        expected_versions=expected_versions,
        changes=body.model_dump(exclude_unset=True),
    )
    response.headers["ETag"] = etag_for(product.version)
    return ProductRead.model_validate(product)


@router.delete(
    "/{product_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
)
async def archive_product(_: AdminUser, product_id: ProductId, session: DbSession) -> None:
    """Admin: archive a product; it leaves the catalog, past orders keep it."""
    await service.archive_product(session, product_id)
