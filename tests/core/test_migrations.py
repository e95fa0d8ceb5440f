"""The Atlas migrations and the models agree, so a model change without its migration fails here."""

import shutil
from pathlib import Path

from scripts.atlas import atlas_environment, run_atlas
from tests.conftest import DatabaseUnderTest


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
    assert generated.read_text() == removed_statements
