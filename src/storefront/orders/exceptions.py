from storefront.shared.exceptions import AppError, ConflictError, NotFoundError


class OrderNotFoundError(NotFoundError):
    code = "order_not_found"
    title = "Order Not Found"


class InvalidTransitionError(ConflictError):
    code = "invalid_transition"
    title = "Invalid Transition"


class MixedCurrenciesError(AppError):
    status_code = 422
    code = "mixed_currencies"
    title = "Mixed Currencies"
