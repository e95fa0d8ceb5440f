import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from storefront.catalog.models import MAX_PRICE_CENTS
from storefront.shared.ids import TypeId
from storefront.shared.pagination import PageQuery
from storefront.shared.schemas import PatchModel, WholeNumber
from storefront.shared.text import Text

ProductId = Annotated[uuid.UUID, TypeId("prod")]
Sku = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_-]{1,64}$")]
ProductName = Annotated[str, Text(min_length=1, max_length=200)]
Description = Annotated[str, Text(max_length=5000, multiline=True)]
PriceCents = Annotated[int, WholeNumber(ge=0, le=MAX_PRICE_CENTS)]
Stock = Annotated[int, WholeNumber(ge=0, le=2_000_000_000)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
ProductSort = Literal["created_at", "-created_at", "price", "-price", "name"]


class ProductPosition(BaseModel):
    """Where a product listing continues: the last product's sort value and id."""

    value: datetime | int | str
    id: uuid.UUID


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    name: ProductName
    description: Description = ""
    price_cents: PriceCents
    currency: Currency | None = Field(default=None, description="Defaults to the shop's currency.")
    stock: Stock = 0


class ProductUpdate(PatchModel):
    sku: Sku | None = None
    name: ProductName | None = None
    description: Description | None = None
    price_cents: PriceCents | None = None
    currency: Currency | None = None
    stock: Stock | None = None


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: ProductId
    sku: str
    name: str
    description: str
    price_cents: int
    currency: str
    stock: int
    version: int
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ProductFilters(PageQuery):
    q: Annotated[str, Text(min_length=1, max_length=100)] | None = None
    min_price: int | None = Field(default=None, ge=0, le=MAX_PRICE_CENTS)
    max_price: int | None = Field(default=None, ge=0, le=MAX_PRICE_CENTS)
    sort: ProductSort = "-created_at"
    include_archived: bool = Field(default=False, description="Admins only.")

    @model_validator(mode="after")
    def price_range_is_ordered(self) -> Self:
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise ValueError("min_price must not exceed max_price")
        return self
