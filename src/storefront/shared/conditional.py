"""Entity tags for conditional requests (RFC 9110 section 13), derived from a row version."""

import re

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
