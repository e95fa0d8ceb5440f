"""Entity tags for conditional requests (RFC 9110 section 13), derived from a row version."""

import re
from typing import Annotated

from fastapi import Depends

from storefront.core.errors import required_header
from storefront.shared.exceptions import PreconditionRequiredError
from storefront.shared.text import Text

_ENTITY_TAG = re.compile(r'\s*(W/)?"v(\d{1,18})"\s*')


def etag_for(version: int) -> str:
    return f'"v{version}"'


def tagged_versions(header: str, *, weak: bool) -> set[int]:
    """The versions an If-Match (strong comparison) or If-None-Match (`weak=True`) value
    names; tags that are not ours name none."""
    versions = set()
    for tag in header.split(","):
        match = _ENTITY_TAG.fullmatch(tag)
        if match and (weak or not match.group(1)):
            versions.add(int(match.group(2)))
    return versions


def is_current(if_none_match: str | None, version: int) -> bool:
    """Whether the client's copy, named by If-None-Match, is `version` (answer 304)."""
    if if_none_match is None:
        return False
    return if_none_match.strip() == "*" or version in tagged_versions(if_none_match, weak=True)


async def get_if_match_versions(
    if_match: Annotated[
        Annotated[str, Text(max_length=1024)] | None,
        required_header("The ETag of the resource as you last read it."),
    ] = None,
) -> set[int]:
    """The versions the client's If-Match accepts, for an update that must not overwrite
    a change the client never saw. `*` is refused too: it would allow exactly that."""
    if if_match is None or if_match.strip() == "*":
        raise PreconditionRequiredError(
            "Send If-Match with the ETag you read, so a concurrent change is not overwritten."
        )
    return tagged_versions(if_match, weak=False)


IfMatchVersions = Annotated[set[int], Depends(get_if_match_versions)]
