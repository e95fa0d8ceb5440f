from typing import Annotated

from fastapi import Depends

from storefront.catalog.exceptions import PreconditionRequiredError
from storefront.core.errors import required_header
from storefront.shared.conditional import tagged_versions
from storefront.shared.text import Text


async def get_if_match_versions(
    if_match: Annotated[
        Annotated[str, Text(max_length=1024)] | None,
        required_header("The ETag of the product as you last read it."),
    ] = None,
) -> set[int]:
    """The product versions the client's If-Match accepts.

    `*` is refused too: it would let an edit overwrite changes the client never saw.
    """
    if if_match is None or if_match.strip() == "*":
        raise PreconditionRequiredError(
            "Send If-Match with the product's ETag, so a concurrent change is not overwritten."
        )
    return tagged_versions(if_match, weak=False)


IfMatchVersions = Annotated[set[int], Depends(get_if_match_versions)]
