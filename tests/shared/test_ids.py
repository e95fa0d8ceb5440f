import time
import uuid

from storefront.shared.ids import uuid7


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
