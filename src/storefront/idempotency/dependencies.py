from typing import Annotated

from fastapi import Depends, Header

from storefront.idempotency.exceptions import IdempotencyKeyRequiredError


async def get_idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            description="Any 1-255 printable characters, unique per intended operation. "
            "Retrying with the same key and body replays the first response.",
            pattern=r"^[\x20-\x7e]{1,255}$",
        ),
    ] = None,
) -> str:
    if idempotency_key is None:
        raise IdempotencyKeyRequiredError(
            "Send an Idempotency-Key header so a retried request cannot place the order twice."
        )
    return idempotency_key


IdempotencyKey = Annotated[str, Depends(get_idempotency_key)]
