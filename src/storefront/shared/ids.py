"""Identifier helpers."""

import os
import threading
import time
import uuid

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
