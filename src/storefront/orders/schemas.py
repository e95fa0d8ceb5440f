import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from storefront.catalog.schemas import ProductId
from storefront.orders.models import OrderStatus
from storefront.shared.ids import TypeId
from storefront.shared.pagination import PageQuery
from storefront.shared.schemas import WholeNumber
from storefront.shared.text import Text
from storefront.users.schemas import UserId

OrderId = Annotated[uuid.UUID, TypeId("ord")]


class OrderLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: ProductId
    quantity: Annotated[int, WholeNumber(ge=1, le=1000)]


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[OrderLineCreate] = Field(min_length=1, max_length=50)
    note: Annotated[str, Text(max_length=1000, multiline=True)] | None = None

    @model_validator(mode="after")
    def each_product_once(self) -> Self:
        product_ids = [item.product_id for item in self.items]
        if len(set(product_ids)) != len(product_ids):
            raise ValueError("each product may appear in only one line; add up the quantities")
        return self


class OrderLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: ProductId
    sku: str
    name: str
    unit_price_cents: int
    quantity: int
    line_total_cents: int


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OrderId
    user_id: UserId
    status: OrderStatus
    items: list[OrderLineRead] = Field(validation_alias="lines")
    total_cents: int
    currency: str
    note: str | None
    created_at: datetime


class OrderFilters(PageQuery):
    user_id: UserId | None = Field(default=None, description="Admins only.")
