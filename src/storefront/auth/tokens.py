"""Access tokens (short-lived JWTs), and refresh and password-reset tokens (opaque,
stored as SHA-256 digests)."""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jwt

from storefront.auth.exceptions import InvalidTokenError
from storefront.shared.ids import format_typeid, parse_typeid

# Pinned on decode too, so a token cannot choose its own algorithm ("none", or
# RS256 with our secret passed off as a public key).
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "role", "iat", "exp", "jti", "sid"]


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    role: str
    family_id: uuid.UUID  # the login (refresh-token family) this token came from
    token_id: str
    issued_at: float  # seconds since the epoch
    expires_at: float


def create_access_token(
    *,
    user_id: uuid.UUID,
    role: str,
    family_id: uuid.UUID,
    secret: str,
    now: datetime,
    lifetime: timedelta,
) -> str:
    claims = {
        "sub": format_typeid("user", user_id),
        "role": role,
        "sid": str(family_id),
        "jti": secrets.token_hex(16),
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, secret: str) -> AccessClaims:
    claims = _verified_claims(token, secret)
    if claims.expires_at <= time.time():
        raise InvalidTokenError("The access token has expired.")
    return claims


# A client sends the same token on every request for its whole lifetime, and
# checking it (base64, JSON, HMAC, claims) was a tenth of an authenticated read's
# CPU. Only tokens that verified are remembered (exceptions are not cached), and
# expiry is checked on every use above.
@lru_cache(maxsize=8192)
def _verified_claims(token: str, secret: str) -> AccessClaims:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS}
        )
        return AccessClaims(
            user_id=parse_typeid("user", claims["sub"]),
            role=claims["role"],
            family_id=uuid.UUID(claims["sid"]),
            token_id=claims["jti"],
            issued_at=claims["iat"],
            expires_at=claims["exp"],
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidTokenError("The access token has expired.") from exc
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise InvalidTokenError("The access token is not valid.") from exc


def new_opaque_token() -> str:
    """A refresh or password-reset token: random, and stored only as its digest."""
    return secrets.token_urlsafe(32)  # 256 bits


def opaque_token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
