"""Cursor pagination: a page of items and an opaque, tamper-evident cursor to the next one."""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from storefront.shared.exceptions import AppError

_SIGNATURE_BYTES = 16
ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    # Pass it back as `cursor` for the next page; null on the last page.
    next_cursor: str | None


class InvalidCursorError(AppError):
    status_code = 422
    code = "invalid_cursor"
    title = "Invalid Cursor"


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: bytes, secret: str) -> bytes:
    return hmac.digest(secret.encode(), payload, hashlib.sha256)[:_SIGNATURE_BYTES]


def encode_cursor(position: dict[str, Any], secret: str) -> str:
    """Sign a JSON-serialisable position (e.g. the last row's sort key and id)."""
    payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64encode(payload)}.{_b64encode(_signature(payload, secret))}"


def page_of(
    rows: Sequence[ItemT],
    *,
    limit: int,
    position: Callable[[ItemT], dict[str, Any]],
    secret: str,
) -> "Page[ItemT]":
    """A page from up to `limit + 1` rows: the extra row only says a next page exists."""
    items = list(rows[:limit])
    has_more = len(rows) > limit
    return Page(
        items=items, next_cursor=encode_cursor(position(items[-1]), secret) if has_more else None
    )


def decode_cursor(cursor: str, secret: str) -> dict[str, Any]:
    """The position in a cursor made by `encode_cursor`; InvalidCursorError for anything else."""
    try:
        encoded_payload, encoded_signature = cursor.split(".")
        payload = _b64decode(encoded_payload)
        signature = _b64decode(encoded_signature)
    except (ValueError, binascii.Error) as exc:
        raise InvalidCursorError("The cursor is malformed.") from exc
    if not hmac.compare_digest(signature, _signature(payload, secret)):
        raise InvalidCursorError("The cursor was not issued by this server.")
    position: dict[str, Any] = json.loads(payload)  # signed by us, so it is our own dict
    return position
