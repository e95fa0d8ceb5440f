from storefront.shared.exceptions import ConflictError, NotFoundError, PermissionDeniedError


class UserNotFoundError(NotFoundError):
    code = "user_not_found"
    title = "User Not Found"


class EmailTakenError(ConflictError):
    code = "email_taken"
    title = "Email Taken"


class LastAdminError(ConflictError):
    code = "last_admin"
    title = "Last Active Admin"


class InvalidCurrentPasswordError(PermissionDeniedError):
    code = "invalid_current_password"
    title = "Invalid Current Password"
