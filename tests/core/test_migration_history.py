"""Every migration reverses: walking the history, each step goes down with the project's
own `migrate-down` and comes back up, and the schema is exactly what it was each way.
Slow (Atlas plans every step): `.ci/run` runs it, with each Atlas build;
`uv run task test -- -m slow` runs it here."""

import asyncio
from pathlib import Path

import asyncpg
import pytest

from scripts.atlas import atlas_environment, migrate_down, run_atlas
from storefront.core.database import create_database, plain_url
from storefront.core.migrations import migration_versions
from tests.conftest import DatabaseUnderTest, database_name
from tests.core.test_migrations import catalog, differences

SENTINEL_EMAIL = "survivor@example.com"


async def execute(database_url: str, sql: str, *arguments: object) -> object:
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        return await connection.fetchval(sql, *arguments)
    finally:
        await connection.close()


@pytest.mark.slow
async def test_every_migration_goes_down_and_up_again(
    test_database: DatabaseUnderTest, repo_root: Path
) -> None:
    migrations = repo_root / "migrations"
    versions = migration_versions(migrations)
    database_url = await create_database(test_database.url, database_name("history"), replace=True)
    env = atlas_environment(database_url, test_database.dev_url)
    apply = ["migrate", "apply", "--dir", f"file://{migrations}", "1"]
    assert run_atlas(apply, env, capture=True).returncode == 0
    await execute(
        database_url,
        "INSERT INTO users (id, email, full_name, hashed_password)"
        " VALUES (gen_random_uuid(), $1, 'S', 'x')",
        SENTINEL_EMAIL,
    )

    for path in sorted(migrations.glob("*.sql"))[1:]:
        before = await catalog(database_url)
        assert run_atlas(apply, env, capture=True).returncode == 0, path.name
        after = await catalog(database_url)

        # In a thread, as the task runs it: it has event loops of its own.
        went_down = await asyncio.to_thread(migrate_down, env, migrations, assume_yes=True)
        assert went_down == 0, f"{path.name} cannot go down"
        assert differences(before, await catalog(database_url)) == [], (
            f"{path.name}: going down does not restore the schema before it"
        )
        if '"users"' not in path.read_text():  # rows in tables a step leaves alone survive
            survivors = "SELECT count(*) FROM users WHERE email = $1"
            assert await execute(database_url, survivors, SENTINEL_EMAIL) == 1, path.name
        assert run_atlas(apply, env, capture=True).returncode == 0, path.name
        assert differences(after, await catalog(database_url)) == [], (
            f"{path.name}: coming back up does not give the same schema"
        )
    assert len(versions) > 1
