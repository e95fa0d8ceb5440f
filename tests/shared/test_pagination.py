import pytest

from storefront.shared.pagination import InvalidCursorError, Page, decode_cursor, encode_cursor

SECRET = "test-secret"


def test_a_cursor_round_trips_its_position() -> None:
    position = {"created_at": "2026-11-21T10:00:00+00:00", "id": "0193"}

    cursor = encode_cursor(position, SECRET)

    assert decode_cursor(cursor, SECRET) == position
    assert "created_at" not in cursor  # opaque to clients


def test_a_tampered_cursor_is_rejected() -> None:
    signature = encode_cursor({"id": 1}, SECRET).split(".")[1]
    forged_payload = encode_cursor({"id": 2}, SECRET).split(".")[0]

    with pytest.raises(InvalidCursorError, match="not issued by this server"):
        decode_cursor(f"{forged_payload}.{signature}", SECRET)


def test_a_cursor_signed_with_another_secret_is_rejected() -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(encode_cursor({"id": 1}, "other-secret"), SECRET)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "!!!.???", "e30"])
def test_garbage_is_rejected_as_malformed(garbage: str) -> None:
    with pytest.raises(InvalidCursorError) as caught:
        decode_cursor(garbage, SECRET)

    assert caught.value.status_code == 422
    assert caught.value.code == "invalid_cursor"


def test_a_page_serialises_its_items_and_next_cursor() -> None:
    page = Page[int](items=[1, 2], next_cursor=None)

    assert page.model_dump() == {"items": [1, 2], "next_cursor": None}
