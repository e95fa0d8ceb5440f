from typing import Annotated

from fastapi import Depends
from pydantic import StringConstraints

from storefront.core.errors import required_header
from storefront.idempotency.exceptions import IdempotencyKeyRequiredError


async def get_idempotency_key(
    idempotency_key: Annotated[
        Annotated[str, StringConstraints(pattern=r"^[\x20-\x7e]{1,255}$")] | None,
        required_header(
            "Any 1-255 printable characters, unique per intended operation. "
            "Retrying with the same key and body replays the first response."
        ),
    ] = None,
) -> str:
    if idempotency_key is None:
        raise IdempotencyKeyRequiredError(
            "Send an Idempotency-Key header so a retried request cannot place the order twice."
        )
    return idempotency_key


IdempotencyKey = Annotated[str, Depends(get_idempotency_key)]
