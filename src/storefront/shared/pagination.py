"""Cursor pagination: a page of items and an opaque, tamper-evident cursor to the next one.

Each listing has one `Paginator` with a typed position. A cursor names its listing and
carries a digest of the filters and sort it was made for, so it is accepted only by
the same listing with the same query; anything else is a 422 `invalid_cursor`.
"""

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storefront.shared.exceptions import AppError
from storefront.shared.text import Text

_SIGNATURE_BYTES = 16
_FILTERS_DIGEST_BYTES = 8
ItemT = TypeVar("ItemT")
PositionT = TypeVar("PositionT", bound=BaseModel)


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    # Pass it back as `cursor` for the next page; null on the last page.
    next_cursor: str | None


class PageQuery(BaseModel):
    """The paging part of a listing's query string; listings add their filters."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=20, ge=1, le=100)
    cursor: Annotated[str, Text(max_length=512)] | None = Field(
        default=None,
        description="`next_cursor` of the previous page, with the same filters and sort.",
    )

    def filters_digest(self) -> str:
        """What a cursor is bound to: every parameter but the page size and the cursor."""
        filters = self.model_dump(mode="json", exclude={"limit", "cursor"})
        canonical = json.dumps(filters, sort_keys=True, separators=(",", ":")).encode()
        return _b64encode(hashlib.sha256(canonical).digest()[:_FILTERS_DIGEST_BYTES])


class LastId(BaseModel):
    """The position of a listing ordered by id: the last id of the previous page."""

    id: uuid.UUID


class InvalidCursorError(AppError):
    status_code = 422
    code = "invalid_cursor"
    title = "Invalid Cursor"


class Paginator(Generic[PositionT]):
    """Pages of one listing, whose cursors carry a `position` of type PositionT."""

    def __init__(self, listing: str, position: type[PositionT]) -> None:
        self.listing = listing
        self.position_type = position

    def position(self, query: PageQuery, secret: str) -> PositionT | None:
        """Where `query.cursor` continues; None for the first page."""
        if query.cursor is None:
            return None
        payload = _verified_payload(query.cursor, secret)
        if not isinstance(payload, dict) or payload.get("listing") != self.listing:
            raise InvalidCursorError("This cursor belongs to another listing.")
        if payload.get("filters") != query.filters_digest():
            raise InvalidCursorError(
                "This cursor belongs to the same listing with other filters or another order."
            )
        try:
            return self.position_type.model_validate(payload.get("position"))
        except ValidationError as exc:
            raise InvalidCursorError("The cursor is malformed.") from exc

    def page(
        self,
        rows: Sequence[ItemT],
        query: PageQuery,
        secret: str,
        *,
        position: Callable[[ItemT], PositionT],
    ) -> Page[ItemT]:
        """A page from up to `limit + 1` rows: the extra row only says a next page exists."""
        items = list(rows[: query.limit])
        if len(rows) <= query.limit:
            return Page(items=items, next_cursor=None)
        payload = {
            "listing": self.listing,
            "filters": query.filters_digest(),
            "position": position(items[-1]).model_dump(mode="json"),
        }
        return Page(items=items, next_cursor=_signed(payload, secret))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: bytes, secret: str) -> bytes:
    return hmac.digest(secret.encode(), payload, hashlib.sha256)[:_SIGNATURE_BYTES]


def _signed(payload: dict[str, Any], secret: str) -> str:
    data = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64encode(data)}.{_b64encode(_signature(data, secret))}"


def _verified_payload(cursor: str, secret: str) -> Any:
    try:
        encoded_payload, encoded_signature = cursor.split(".")
        payload = _b64decode(encoded_payload)
        signature = _b64decode(encoded_signature)
    except (ValueError, binascii.Error) as exc:
        raise InvalidCursorError("The cursor is malformed.") from exc
    if not hmac.compare_digest(signature, _signature(payload, secret)):
        raise InvalidCursorError("The cursor was not issued by this server.")
    return json.loads(payload)  # signed by us, so it is our own JSON
