"""IPython with the app's context; top-level `await` works: `await db.scalars(select(User))`.

After a cell fails, `db` is rolled back, so one mistake does not leave every later
statement failing with "current transaction is aborted".
"""

import asyncio
from typing import Any

from IPython.core.async_helpers import get_asyncio_loop
from IPython.terminal.ipapp import TerminalIPythonApp
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storefront.core import models
from storefront.core.config import get_settings
from storefront.core.database import create_engine, create_sessionmaker, resolve_database_url
from storefront.core.migrations import applied_versions, migration_versions


async def pending_migrations(engine: AsyncEngine, expected: list[str]) -> list[str]:
    async with engine.connect() as connection:
        applied = await applied_versions(connection)
    await engine.dispose()  # its connection belongs to this loop, not to IPython's
    return [version for version in expected if version not in applied]


settings = get_settings()
engine = create_engine(asyncio.run(resolve_database_url(settings.database)), settings.database)
if pending := asyncio.run(pending_migrations(engine, migration_versions(settings.migrations_dir))):
    print(
        f"{len(pending)} migration(s) not applied to this database: tables may be missing."
        " Run `uv run task migrate-up` (`uv run task shell` applies them first)."
    )
db = create_sessionmaker(engine)()


def roll_back_after_errors(result: Any) -> None:
    if result.error_before_exec or result.error_in_exec:
        # IPython runs top-level awaits on this loop, between cells it is idle.
        get_asyncio_loop().run_until_complete(db.rollback())  # type: ignore[no-untyped-call]


namespace = {
    "settings": settings,
    "engine": engine,
    "db": db,
    "select": select,
    "func": func,
    "text": text,
    **{name: getattr(models, name) for name in models.__all__},
}
print("Context:", ", ".join(sorted(namespace)))
shell_app = TerminalIPythonApp.instance(user_ns=namespace)
shell_app.initialize(["--no-banner"])  # type: ignore[no-untyped-call]
assert shell_app.shell is not None
shell_app.shell.events.register("post_run_cell", roll_back_after_errors)
shell_app.start()  # type: ignore[no-untyped-call]
