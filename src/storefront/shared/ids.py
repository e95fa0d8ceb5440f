"""Identifier helpers."""

import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

_RANDOM_BITS = 74  # 12 bits of rand_a and 62 of rand_b around the version and variant
_lock = threading.Lock()
_last_ms = 0
_last_random = 0


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7), strictly increasing within this process.

    New rows land at the right edge of B-tree indexes, and ids made in the same
    millisecond still sort in creation order (the random part counts up).
    """
    global _last_ms, _last_random
    with _lock:
        unix_ms = time.time_ns() // 1_000_000
        random = int.from_bytes(os.urandom(10)) >> (80 - _RANDOM_BITS)
        if unix_ms <= _last_ms:
            unix_ms, random = _last_ms, _last_random + 1
            if random >> _RANDOM_BITS:  # the counter ran out: borrow the next millisecond
                unix_ms, random = unix_ms + 1, 0
        _last_ms, _last_random = unix_ms, random
    rand_a, rand_b = random >> 62, random & (2**62 - 1)
    value = unix_ms << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


# TypeIDs (https://github.com/jetify-com/typeid): `<prefix>_<26 chars of Crockford base32>`,
# the UUID's 128 bits with two leading zero bits, so the first character is 0-7.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_VALUES = {character: value for value, character in enumerate(_ALPHABET)}
_SUFFIX_LENGTH = 26
_EXAMPLE = uuid.UUID("01936b2e-3c4d-7a5b-8c6d-7e8f9a0b1c2d")
# Every id in a response is formatted, 21 in a page: two characters (10 bits) at a
# time from a table, half the time of one at a time (task bench: GET /products).
_CHARACTER_PAIRS = [first + second for first in _ALPHABET for second in _ALPHABET]
_PAIR_SHIFTS = range(120, -10, -10)  # the 130 bits' 13 pairs, most significant first


def format_typeid(prefix: str, value: uuid.UUID) -> str:
    number = value.int
    suffix = "".join([_CHARACTER_PAIRS[number >> shift & 1023] for shift in _PAIR_SHIFTS])
    return f"{prefix}_{suffix}"


def parse_typeid(prefix: str, text: str) -> uuid.UUID:
    """The UUID in a TypeID with exactly this prefix; ValueError for anything else."""
    head, separator, suffix = text.rpartition("_")
    if not separator or head != prefix:
        raise ValueError(f"expected an id starting with '{prefix}_'")
    if len(suffix) != _SUFFIX_LENGTH or suffix[0] > "7" or not set(suffix) <= _VALUES.keys():
        raise ValueError(f"not a well-formed '{prefix}_' id")
    number = 0
    for character in suffix:
        number = number << 5 | _VALUES[character]
    return uuid.UUID(int=number)


@dataclass(frozen=True)
class TypeId:
    """Pydantic annotation: a UUID that the API reads and writes as a TypeID.

    `UserId = Annotated[uuid.UUID, TypeId("user")]`
    """

    prefix: str

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: format_typeid(self.prefix, value),
                return_schema=core_schema.str_schema(),
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "pattern": f"^{self.prefix}_[0-7][{_ALPHABET}]{{25}}$",
            "examples": [format_typeid(self.prefix, _EXAMPLE)],
        }

    def _validate(self, value: object) -> uuid.UUID:
        if isinstance(value, uuid.UUID):  # from the database
            return value
        if isinstance(value, str):
            return parse_typeid(self.prefix, value)
        raise ValueError(f"expected an id starting with '{self.prefix}_'")
