"""Contract fuzzing: schemathesis drives every operation with generated requests, as an
anonymous caller, a customer and an admin, and every check it has must hold: no 5xx,
responses and headers as documented, invalid input refused, valid input accepted.

Generated ids rarely exist, so half of them are swapped for live ones (products,
orders, users), order lines name live products with stock, and edits carry the
product's current ETag: the fuzzer reaches the code behind the 404s and 428s.
"""

import functools
import hashlib
from typing import Any, cast

import schemathesis
from schemathesis import Case
from schemathesis.python import asgi

from storefront.shared.ids import format_typeid
from tests.conftest import collected_test_database
from tests.contract.shop import Shop, fuzz_config, open_shop

shop = open_shop(collected_test_database())
schema = schemathesis.openapi.from_asgi("/openapi.json", shop.app, config=fuzz_config(shop.app))


def coin(value: object) -> bool:
    """A stable coin flip per generated value (hypothesis replays must see the same case)."""
    return hashlib.sha256(repr(value).encode()).digest()[0] % 2 == 0


def live_ids(shop: Shop) -> dict[str, list[str]]:
    return {
        "product_id": [format_typeid("prod", p.id) for p in shop.products],
        "order_id": [format_typeid("ord", o.id) for o in shop.orders],
        "user_id": [format_typeid("user", u.id) for u in shop.users],
    }


@functools.cache
def live_cursors() -> list[str]:
    """A next_cursor from every listing: a generated cursor is never signed, so only
    these reach the code that decides which listing and filters a cursor belongs to."""
    cursors = []
    with asgi.get_client(cast(Any, shop.app)) as client:
        for listing in ("products", "orders", "users"):
            url = f"http://{asgi.HOST}/api/v1/{listing}?limit=1"
            cursors.append(client.get(url, headers=shop.callers["admin"]).json()["next_cursor"])
    return cursors


def deepen(case: Case[Any], shop: Shop) -> None:
    """Swap generated values for live ones, in valid requests only: an invalid request
    (or one missing a required part) must stay exactly as generated."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    ids = live_ids(shop)
    for name, value in (case.path_parameters or {}).items():
        if name in ids and coin(value):
            case.path_parameters[name] = ids[name][hash(repr(value)) % len(ids[name])]
    query = case.query or {}
    if "cursor" in query and coin(query):
        cursors = live_cursors()
        case.query = {**query, "cursor": cursors[hash(repr(query)) % len(cursors)]}
    body: Any = case.body
    if case.operation.path == "/api/v1/orders" and isinstance(body, dict) and coin(body):
        items = body.get("items")
        if isinstance(items, list) and 0 < len(items) <= len(ids["product_id"]):
            for item, product_id in zip(items, ids["product_id"], strict=False):
                if isinstance(item, dict):
                    item["product_id"] = product_id
    if (
        case.method == "PATCH"
        and case.headers
        and "if-match" in case.headers
        and coin(repr(case.headers))
    ):
        # The current ETag of whatever the path names, when it exists.
        url = f"http://{asgi.HOST}{case.formatted_path}"
        with asgi.get_client(cast(Any, shop.app)) as client:
            current = client.get(url, headers=shop.callers["admin"])
        if current.status_code == 200:
            case.headers["if-match"] = current.headers["etag"]


# One test per kind of caller: schemathesis's generated tests take no pytest parameters.
@schema.parametrize()
def test_the_contract_holds_for_anonymous_callers(case: Case[Any]) -> None:
    deepen(case, shop)
    case.call_and_validate(headers=shop.callers["anonymous"])


@schema.parametrize()
def test_the_contract_holds_for_customers(case: Case[Any]) -> None:
    deepen(case, shop)
    case.call_and_validate(headers=shop.callers["customer"])


@schema.parametrize()
def test_the_contract_holds_for_admins(case: Case[Any]) -> None:
    deepen(case, shop)
    case.call_and_validate(headers=shop.callers["admin"])
