from storefront.shared.exceptions import AppError, ConflictError


class IdempotencyKeyRequiredError(AppError):
    status_code = 400
    code = "idempotency_key_required"
    title = "Idempotency Key Required"


class IdempotencyKeyReusedError(AppError):
    status_code = 422
    code = "idempotency_key_reused"
    title = "Idempotency Key Reused"


class IdempotencyKeyInProgressError(ConflictError):
    code = "idempotency_key_in_progress"
    title = "Idempotency Key In Progress"
