import time
import uuid

import pytest

from storefront.shared.ids import format_typeid, parse_typeid, uuid7


def test_uuid7_is_a_version_7_rfc_9562_uuid() -> None:
    value = uuid7()

    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_uuid7_carries_the_creation_time_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000

    assert before <= value.int >> 80 <= after


def test_uuid7_values_made_in_a_burst_are_unique_and_increasing() -> None:
    values = [uuid7() for _ in range(10_000)]

    assert values == sorted(values)
    assert len(set(values)) == len(values)


def test_typeids_match_the_reference_encoding() -> None:
    # Vectors from the TypeID specification's valid.yml.
    nil = uuid.UUID("00000000-0000-0000-0000-000000000000")
    known = uuid.UUID("0110c853-1d09-52d8-d73e-1194e95b5f19")
    largest = uuid.UUID("ffffffff-ffff-ffff-ffff-ffffffffffff")

    assert format_typeid("prefix", nil) == "prefix_00000000000000000000000000"
    assert format_typeid("prefix", largest) == "prefix_7zzzzzzzzzzzzzzzzzzzzzzzzz"
    assert format_typeid("prefix", known) == "prefix_0123456789abcdefghjkmnpqrs"
    assert parse_typeid("prefix", "prefix_0123456789abcdefghjkmnpqrs") == known


def test_typeids_round_trip() -> None:
    value = uuid7()

    assert parse_typeid("user", format_typeid("user", value)) == value


@pytest.mark.parametrize(
    "text",
    [
        "prod_01h455vb4pex5vsknk084sn02q",  # another resource's prefix
        "01h455vb4pex5vsknk084sn02q",  # no prefix
        "user_01h455vb4pex5vsknk084sn02",  # too short
        "user_81h455vb4pex5vsknk084sn02q",  # more than 128 bits
        "user_01h455vb4pex5vsknk084sn0uq",  # 'u' is not in the alphabet
        "user_01H455VB4PEX5VSKNK084SN02Q",  # upper case
        "",
    ],
)
def test_malformed_or_foreign_typeids_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="user_"):
        parse_typeid("user", text)
