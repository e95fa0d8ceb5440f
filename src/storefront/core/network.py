"""Who the client is, when a proxy may stand in between."""

import ipaddress
from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import Headers

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

UNKNOWN_CLIENT = "unknown"


def parse_ip(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        # One client, one key: no zone suffix, and IPv4 seen through IPv6 as IPv4.
        address = address.ipv4_mapped or ipaddress.IPv6Address(address.packed)
    return address


def client_address(peer: str | None, headers: Headers, trusted_proxies: Sequence[IPNetwork]) -> str:
    """The client's IP address, as text.

    The peer, unless it is a trusted proxy: then X-Forwarded-For is read from the
    right, skipping trusted proxies, and the first other address is the client.
    Entries that are not IP addresses end the walk (the last good hop stands), so
    no header value a client makes up ever comes out of here.
    """
    client = parse_ip(peer) if peer else None
    if client is None:
        return UNKNOWN_CLIENT

    def is_trusted(address: IPAddress) -> bool:
        return any(address in network for network in trusted_proxies)

    if is_trusted(client):
        hops = ",".join(headers.getlist("x-forwarded-for")).split(",")
        for hop in reversed(hops):
            address = parse_ip(hop)
            if address is None:
                break
            client = address
            if not is_trusted(address):
                break
    return str(client)


async def get_client_address(request: Request) -> str:
    peer = request.client.host if request.client else None
    trusted: list[IPNetwork] = request.app.state.settings.forwarded_allow_ips
    return client_address(peer, request.headers, trusted)


ClientAddress = Annotated[str, Depends(get_client_address)]
