"""Hand-written reads for hot paths (see `RawConnections`); checked against the ORM in tests."""

from datetime import UTC, datetime
from typing import Any

from storefront.auth.tokens import AccessClaims
from storefront.users.models import UserRole
from storefront.users.repository import Account

# The caller's account and, in the same round trip, whether the token's login has
# ended. The login is looked up only when one of the user's logins ended after the
# token was issued, so the usual request pays nothing for it. (This one statement
# reads the users table from auth: it is the hottest read there is.)
CALLER = """
SELECT u.id, u.email, u.full_name, u.role, u.is_active, u.hashed_password, u.created_at,
       coalesce(
           u.sessions_revoked_at >= $2
           AND EXISTS (
               SELECT FROM refresh_tokens r WHERE r.family_id = $3 AND r.revoked_at IS NOT NULL
           ),
           false
       ) AS login_ended
FROM users u
WHERE u.id = $1
"""


async def fetch_caller(connection: Any, claims: AccessClaims) -> Account | None:
    """The account a token speaks for, if it exists, is active and the token's login has
    not ended."""
    issued_at = datetime.fromtimestamp(claims.issued_at, UTC)
    row = await connection.fetchrow(CALLER, claims.user_id, issued_at, claims.family_id)
    if row is None or row["login_ended"] or not row["is_active"]:
        return None
    fields = {name: row[name] for name in Account.__dataclass_fields__}
    return Account(**{**fields, "role": UserRole(row["role"])})
