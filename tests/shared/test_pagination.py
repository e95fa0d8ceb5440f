import uuid

import pytest
from pydantic import BaseModel

from storefront.shared.pagination import InvalidCursorError, LastId, Page, PageQuery, Paginator

SECRET = "test-secret"
pages = Paginator("things", LastId)


class ThingQuery(PageQuery):
    colour: str | None = None


def next_cursor(query: ThingQuery, *, paginator: Paginator[LastId] = pages) -> str:
    rows = [uuid.uuid4() for _ in range(query.limit + 1)]
    cursor = paginator.page(rows, query, SECRET, position=lambda row: LastId(id=row)).next_cursor
    assert cursor is not None
    return cursor


def test_a_cursor_round_trips_its_position_and_is_opaque() -> None:
    rows = [uuid.uuid4() for _ in range(3)]
    page = pages.page(rows, ThingQuery(limit=2), SECRET, position=lambda row: LastId(id=row))

    assert page.items == rows[:2]
    assert page.next_cursor is not None
    assert str(rows[1]) not in page.next_cursor
    query = ThingQuery(limit=2, cursor=page.next_cursor)
    assert pages.position(query, SECRET) == LastId(id=rows[1])


def test_the_last_page_has_no_cursor_and_the_first_no_position() -> None:
    page = pages.page([uuid.uuid4()], ThingQuery(limit=2), SECRET, position=lambda r: LastId(id=r))

    assert page.next_cursor is None
    assert pages.position(ThingQuery(), SECRET) is None


def test_the_page_size_may_change_between_pages() -> None:
    cursor = next_cursor(ThingQuery(limit=2))

    assert pages.position(ThingQuery(limit=50, cursor=cursor), SECRET) is not None


def test_a_cursor_is_bound_to_the_filters_it_was_made_for() -> None:
    cursor = next_cursor(ThingQuery(limit=1, colour="red"))

    with pytest.raises(InvalidCursorError, match="other filters"):
        pages.position(ThingQuery(colour="blue", cursor=cursor), SECRET)
    with pytest.raises(InvalidCursorError, match="other filters"):
        pages.position(ThingQuery(cursor=cursor), SECRET)


def test_a_cursor_is_bound_to_its_listing() -> None:
    cursor = next_cursor(ThingQuery(limit=1), paginator=Paginator("others", LastId))

    with pytest.raises(InvalidCursorError, match="another listing"):
        pages.position(ThingQuery(cursor=cursor), SECRET)


def test_a_signed_position_of_another_shape_is_refused() -> None:
    class Other(BaseModel):
        name: str

    other = Paginator("things", Other)
    cursor = other.page([1, 2], ThingQuery(limit=1), SECRET, position=lambda _: Other(name="x"))
    assert cursor.next_cursor is not None

    with pytest.raises(InvalidCursorError, match="malformed"):
        pages.position(ThingQuery(cursor=cursor.next_cursor), SECRET)


def test_a_tampered_cursor_is_rejected() -> None:
    signature = next_cursor(ThingQuery(limit=1)).split(".")[1]
    forged_payload = next_cursor(ThingQuery(limit=1)).split(".")[0]

    with pytest.raises(InvalidCursorError, match="not issued by this server"):
        pages.position(ThingQuery(cursor=f"{forged_payload}.{signature}"), SECRET)


def test_a_cursor_signed_with_another_secret_is_rejected() -> None:
    cursor = next_cursor(ThingQuery(limit=1))

    with pytest.raises(InvalidCursorError, match="not issued by this server"):
        pages.position(ThingQuery(cursor=cursor), "other-secret")


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "!!!.???", "e30"])
def test_garbage_is_rejected_as_malformed(garbage: str) -> None:
    with pytest.raises(InvalidCursorError) as caught:
        pages.position(ThingQuery(cursor=garbage), SECRET)

    assert caught.value.status_code == 422
    assert caught.value.code == "invalid_cursor"


def test_a_page_serialises_its_items_and_next_cursor() -> None:
    page = Page[int](items=[1, 2], next_cursor=None)

    assert page.model_dump() == {"items": [1, 2], "next_cursor": None}
