"""Argon2id password hashing, run on a few worker threads, never on the event loop."""

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from storefront.core.config import AuthSettings

T = TypeVar("T")

# One hash per core at a time: more threads would only queue inside the CPU and
# multiply the memory each hash takes. Callers must not hold a database
# connection while they wait here.
_executor = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="argon2")


class PasswordHasher:
    def __init__(self, settings: AuthSettings) -> None:
        self._context = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=settings.argon2_time_cost,
                    memory_cost=settings.argon2_memory_kib,
                    parallelism=settings.argon2_parallelism,
                ),
            )
        )
        # Verified against when the account does not exist, so that costs the same.
        self._decoy_hash = self._context.hash("decoy password, never matches a login")

    async def hash(self, password: str) -> str:
        return await self._run(self._context.hash, password)

    async def verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        """Whether `password` matches, and a re-hash when `hashed` used old parameters.

        With no stored hash it does the same work and answers False.
        """
        if hashed is None:
            await self._run(self._context.verify, password, self._decoy_hash)
            return False, None
        return await self._run(self._context.verify_and_update, password, hashed)

    @staticmethod
    async def _run(function: Callable[..., T], *args: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(_executor, function, *args)
