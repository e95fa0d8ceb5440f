"""The client address comes from X-Forwarded-For only through proxies the operator trusts."""

import ipaddress

import pytest
from starlette.datastructures import Headers

from storefront.core.network import client_address

PROXY = ipaddress.ip_network("10.0.0.0/8")


def address(peer: str | None, forwarded: str | None, trusted: list[str] | None = None) -> str:
    headers = Headers({"x-forwarded-for": forwarded} if forwarded is not None else {})
    networks = [ipaddress.ip_network(network) for network in (trusted or [])]
    return client_address(peer, headers, networks)


def test_with_no_trusted_proxy_the_peer_is_the_client_whatever_the_header_says() -> None:
    assert address("127.0.0.1", "203.0.113.7") == "127.0.0.1"
    assert address("198.51.100.2", "203.0.113.7") == "198.51.100.2"


def test_through_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client() -> None:
    # A client may prepend anything; only what our proxies appended counts.
    chain = "1.1.1.1, 203.0.113.7, 10.0.0.5"

    assert address("10.0.0.1", chain, ["10.0.0.0/8"]) == "203.0.113.7"


def test_a_trusted_proxy_without_the_header_is_itself_the_client() -> None:
    assert address("10.0.0.1", None, ["10.0.0.0/8"]) == "10.0.0.1"


@pytest.mark.parametrize("garbage", ["x" * 100, "unknown", "1.2.3.4.5", "'; DROP TABLE", ""])
def test_garbage_in_the_header_never_comes_out(garbage: str) -> None:
    assert address("10.0.0.1", garbage, ["10.0.0.0/8"]) == "10.0.0.1"
    assert address("10.0.0.1", f"203.0.113.7, {garbage}", ["10.0.0.0/8"]) == "10.0.0.1"


def test_addresses_come_out_in_one_canonical_form() -> None:
    assert address("::ffff:192.0.2.1", None) == "192.0.2.1"
    assert address("fe80::1%eth0", None) == "fe80::1"
    assert address("2001:DB8:0:0::1", None) == "2001:db8::1"


def test_a_peer_that_is_no_ip_address_is_unknown() -> None:
    assert address(None, "203.0.113.7") == "unknown"
    assert address("testclient", "203.0.113.7") == "unknown"
