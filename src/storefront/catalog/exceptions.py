import uuid
from typing import Any

from storefront.shared.exceptions import AppError, ConflictError, NotFoundError


class ProductNotFoundError(NotFoundError):
    code = "product_not_found"
    title = "Product Not Found"


class SkuTakenError(ConflictError):
    code = "sku_taken"
    title = "SKU Taken"


class ProductsUnavailableError(AppError):
    """Some products cannot be ordered: unknown or archived."""

    status_code = 422
    code = "product_unavailable"
    title = "Product Unavailable"

    def __init__(self, product_ids: list[uuid.UUID]) -> None:
        super().__init__("Some products do not exist or are no longer sold.")
        self.product_ids = product_ids


class InsufficientStockError(ConflictError):
    code = "insufficient_stock"
    title = "Insufficient Stock"

    def __init__(self, shortages: list[dict[str, Any]]) -> None:
        super().__init__(
            "Not enough stock for some products; nothing was reserved.",
            extensions={"shortages": shortages},
        )
