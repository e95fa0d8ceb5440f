"""The Atlas migrations and the models agree, so a model change without its migration fails here."""

import re
import shutil
from pathlib import Path

import asyncpg

from scripts.atlas import atlas_environment, migrate_down, run_atlas
from storefront.core.database import create_database
from tests.conftest import DatabaseUnderTest, database_name

DATA_STEP = re.compile(r"(UPDATE|INSERT|DELETE)\b", re.IGNORECASE)


def schema_statements(sql: str) -> list[str]:
    """The DDL statements of a migration, in a stable order: without comments and without
    the data steps written by hand (which no diff can generate)."""
    without_comments = re.sub(r"^--.*$", "", sql, flags=re.MULTILINE)
    parts = (part.strip() for part in without_comments.split(";\n"))
    return sorted(part for part in parts if part and not DATA_STEP.match(part))


def diff_against_models(test_database: DatabaseUnderTest, migrations: Path) -> str:
    """Run `atlas migrate diff` on a copy of a migration directory; the copy takes any new file."""
    env = atlas_environment(test_database.url, test_database.dev_url)
    directory = ["--dir", f"file://{migrations}"]
    assert run_atlas(["migrate", "hash", *directory], env).returncode == 0
    result = run_atlas(["migrate", "diff", "drift_check", *directory], env, capture=True)
    assert result.returncode == 0, result.stdout
    return result.stdout


def test_migrations_are_in_sync_with_the_models(
    test_database: DatabaseUnderTest, repo_root: Path, tmp_path: Path
) -> None:
    migrations = shutil.copytree(repo_root / "migrations", tmp_path / "migrations")

    output = diff_against_models(test_database, migrations)

    assert "synced" in output, (
        "The models differ from the migrations: run `uv run task migrate-new -- <name>`.\n"
        + "".join(path.read_text() for path in migrations.glob("*_drift_check.sql"))
    )


def test_a_missing_migration_is_detected(
    test_database: DatabaseUnderTest, repo_root: Path, tmp_path: Path
) -> None:
    migrations = shutil.copytree(repo_root / "migrations", tmp_path / "migrations")
    latest = sorted(migrations.glob("*.sql"))[-1]
    removed_statements = latest.read_text()
    latest.unlink()

    output = diff_against_models(test_database, migrations)

    assert "synced" not in output
    [generated] = migrations.glob("*_drift_check.sql")
    assert schema_statements(generated.read_text()) == schema_statements(removed_statements)


async def column_exists(database_url: str, table: str, column: str) -> bool:
    connection = await asyncpg.connect(database_url)
    try:
        found = await connection.fetchval(
            "SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2",
            table,
            column,
        )
    finally:
        await connection.close()
    return found is not None


async def test_migrate_down_reverts_the_latest_migration_only_when_confirmed(
    test_database: DatabaseUnderTest, repo_root: Path, tmp_path: Path
) -> None:
    migrations = shutil.copytree(repo_root / "migrations", tmp_path / "migrations")
    (migrations / "29991231000000_add_nickname.sql").write_text(
        'ALTER TABLE "users" ADD COLUMN "nickname" text NULL;\n'
    )
    directory = ["--dir", f"file://{migrations}"]
    database_url = await create_database(test_database.url, database_name("down"), replace=True)
    env = atlas_environment(database_url, test_database.dev_url)
    assert run_atlas(["migrate", "hash", *directory], env).returncode == 0
    assert run_atlas(["migrate", "apply", *directory], env).returncode == 0
    assert await column_exists(database_url, "users", "nickname")

    # Dropping a column loses data: without a terminal to confirm, nothing happens.
    assert migrate_down(env, migrations, assume_yes=False) == 1
    assert await column_exists(database_url, "users", "nickname")

    assert migrate_down(env, migrations, assume_yes=True) == 0
    assert not await column_exists(database_url, "users", "nickname")
    status = run_atlas(["migrate", "status", *directory], env, capture=True)
    assert "Pending Files:   1" in status.stdout
