"""The Atlas migrations and the models agree, so a model change without its migration fails here."""

import re
import shutil
from enum import StrEnum
from pathlib import Path

import asyncpg
import pytest

from scripts.atlas import atlas_environment, migrate_down, migrate_up, models_ddl, run_atlas
from storefront.core.database import create_database, plain_url
from storefront.shared.models import string_enum
from storefront.users.models import UserRole
from tests.conftest import DatabaseUnderTest, database_name

# What a migration may have written by hand, as no diff generates it: data steps, and
# the functions and triggers Atlas community builds do not manage.
HAND_WRITTEN = re.compile(
    r"(UPDATE|INSERT|DELETE|CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|TRIGGER))\b", re.IGNORECASE
)


CREATE_TABLE = re.compile(r'CREATE TABLE "(\w+)"')
UNIQUE_CONSTRAINT = re.compile(r',\n\s*CONSTRAINT "(\w+)" UNIQUE (\([^)]*\))')


def unique_constraints_as_indexes(statement: str) -> list[str]:
    """v0.13.1 writes a UNIQUE constraint as a unique index, community builds keep the
    constraint: both make the same unique index, so they are compared as one."""
    table = CREATE_TABLE.match(statement)
    if table is None:
        return [statement]
    indexes = [
        f'CREATE UNIQUE INDEX "{name}" ON "{table[1]}" {columns}'
        for name, columns in UNIQUE_CONSTRAINT.findall(statement)
    ]
    return [UNIQUE_CONSTRAINT.sub("", statement), *indexes]


def schema_statements(sql: str) -> list[str]:
    """The generated DDL statements of a migration, in a stable order, without comments."""
    without_bodies = re.sub(r"\$\$.*?\$\$", "$$", sql, flags=re.DOTALL)
    without_comments = re.sub(r"^--.*$", "", without_bodies, flags=re.MULTILINE)
    parts = (part.strip() for part in without_comments.split(";\n"))
    return sorted(
        statement
        for part in parts
        if part and not HAND_WRITTEN.match(part)
        for statement in unique_constraints_as_indexes(part)
    )


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


# What PostgreSQL itself says the schema is, in its own normalised spelling: however
# a constraint or default was written, the same schema reads the same here. This
# catches what an Atlas build may not compare (v0.13.1 ignores CHECK expressions).
CATALOG = """
SELECT 'column ' || table_name || '.' || column_name,
       concat_ws(' ', data_type, character_maximum_length, numeric_precision,
                 is_nullable, column_default)
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name <> 'atlas_schema_revisions'
UNION ALL
-- Atlas leaves primary keys unnamed and makes unique constraints unique indexes:
-- primary keys are compared by table, uniqueness by index. NOT NULL (a constraint
-- since PostgreSQL 18) is in the column's line.
SELECT CASE contype WHEN 'p' THEN 'primary key ' || conrelid::regclass
                    ELSE 'constraint ' || conrelid::regclass || '.' || conname END,
       pg_get_constraintdef(oid)
FROM pg_constraint
WHERE connamespace = 'public'::regnamespace AND contype NOT IN ('u', 'n')
  AND conrelid <> coalesce(to_regclass('atlas_schema_revisions'), 0)
UNION ALL
SELECT 'index ' || index.relname, pg_get_indexdef(index.oid)
FROM pg_index JOIN pg_class index ON index.oid = pg_index.indexrelid
WHERE index.relnamespace = 'public'::regnamespace AND NOT pg_index.indisprimary
  AND pg_index.indrelid <> coalesce(to_regclass('atlas_schema_revisions'), 0)
UNION ALL
SELECT 'extension ' || extname, extversion FROM pg_extension
UNION ALL
SELECT 'type ' || typname, string_agg(enumlabel, ', ' ORDER BY enumsortorder)
FROM pg_type JOIN pg_enum ON enumtypid = pg_type.oid
WHERE typnamespace = 'public'::regnamespace
GROUP BY typname
UNION ALL
-- Functions of our own (not an extension's) and triggers: no Atlas build here compares them.
SELECT 'function ' || proname, pg_get_functiondef(pg_proc.oid)
FROM pg_proc
WHERE pronamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT FROM pg_depend WHERE objid = pg_proc.oid AND deptype = 'e')
UNION ALL
SELECT 'trigger ' || tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
"""


async def catalog(database_url: str) -> dict[str, str]:
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        return dict(await connection.fetch(CATALOG))
    finally:
        await connection.close()


async def models_database(test_database: DatabaseUnderTest, *changes: str) -> str:
    """A database made straight from the models' DDL (then `changes`), not by migrations."""
    url = await create_database(test_database.url, database_name("models"), replace=True)
    connection = await asyncpg.connect(plain_url(url))
    try:
        await connection.execute(models_ddl())
        for change in changes:
            await connection.execute(change)
    finally:
        await connection.close()
    return url


def differences(migrated: dict[str, str], models: dict[str, str]) -> list[str]:
    return sorted(
        f"{name}: migrations {migrated.get(name)!r}, models {models.get(name)!r}"
        for name in migrated.keys() | models.keys()
        if migrated.get(name) != models.get(name)
    )


async def test_the_migrated_schema_is_exactly_the_models_schema(
    test_database: DatabaseUnderTest,
) -> None:
    migrated = await catalog(test_database.url)
    models = await catalog(await models_database(test_database))

    assert differences(migrated, models) == [], (
        "The models differ from the migrations: run `uv run task migrate-new -- <name>`."
    )


# What `string_enum` writes once UserRole has one more value.
ROLES_WITH_AUDITOR = StrEnum("Role", {value: value for value in [*UserRole, "auditor"]})  # type: ignore[misc]
ROLE_CHECK_WITH_AUDITOR = str(string_enum(ROLES_WITH_AUDITOR, "role")[1].sqltext)

# Model changes as DDL on top of the models' schema, with what the catalog notices.
MODEL_CHANGES = {
    "enum-value": (
        "ALTER TABLE users DROP CONSTRAINT ck_users_role, ADD CONSTRAINT ck_users_role"
        f" CHECK ({ROLE_CHECK_WITH_AUDITOR})",
        "constraint users.ck_users_role",
    ),
    "check": (
        "ALTER TABLE products DROP CONSTRAINT ck_products_stock_not_negative,"
        " ADD CONSTRAINT ck_products_stock_not_negative CHECK (stock >= 1)",
        "constraint products.ck_products_stock_not_negative",
    ),
    "default": ("ALTER TABLE users ALTER COLUMN role SET DEFAULT 'admin'", "column users.role"),
    "nullability": ("ALTER TABLE orders ALTER COLUMN note SET NOT NULL", "column orders.note"),
    "column-type": (
        "ALTER TABLE orders ALTER COLUMN note TYPE varchar(2000)",
        "column orders.note",
    ),
    "index": ("CREATE INDEX ix_orders_currency ON orders (currency)", "index ix_orders_currency"),
}
# Changes to what no Atlas build here compares, which the catalog still notices.
UNMANAGED_CHANGES = {
    "queue-status": (
        "ALTER TYPE pgqueuer_status ADD VALUE 'paused'",
        "type pgqueuer_status",
    ),
    "queue-trigger": (
        "CREATE OR REPLACE TRIGGER tg_pgqueuer_changed AFTER INSERT ON pgqueuer"
        " EXECUTE FUNCTION fn_pgqueuer_changed()",
        "trigger tg_pgqueuer_changed",
    ),
    "queue-function": (
        "CREATE OR REPLACE FUNCTION fn_pgqueuer_changed() RETURNS trigger"
        " AS $$BEGIN RETURN NULL; END$$ LANGUAGE plpgsql",
        "function fn_pgqueuer_changed",
    ),
}


ALL_CHANGES = MODEL_CHANGES | UNMANAGED_CHANGES


@pytest.mark.parametrize(("change", "noticed"), ALL_CHANGES.values(), ids=ALL_CHANGES.keys())
async def test_any_model_change_without_a_migration_is_noticed(
    test_database: DatabaseUnderTest, change: str, noticed: str
) -> None:
    migrated = await catalog(test_database.url)
    models = await catalog(await models_database(test_database, change))

    assert [line.split(":")[0] for line in differences(migrated, models)] == [noticed]


# What every supported Atlas build writes for each change, byte for byte: CI runs this
# with the fallback and the community build, so a build that misses a change, or spells
# it differently, fails here.
WRITTEN_MIGRATIONS = {
    "enum-value": (
        '-- Modify "users" table\n'
        'ALTER TABLE "users" DROP CONSTRAINT "ck_users_role", ADD CONSTRAINT "ck_users_role"'
        f" CHECK ({ROLE_CHECK_WITH_AUDITOR});\n"
    ),
    "check": (
        '-- Modify "products" table\n'
        'ALTER TABLE "products" DROP CONSTRAINT "ck_products_stock_not_negative",'
        ' ADD CONSTRAINT "ck_products_stock_not_negative" CHECK (stock >= 1);\n'
    ),
    "default": (
        '-- Modify "users" table\nALTER TABLE "users" ALTER COLUMN "role" SET DEFAULT \'admin\';\n'
    ),
    "nullability": (
        '-- Modify "orders" table\nALTER TABLE "orders" ALTER COLUMN "note" SET NOT NULL;\n'
    ),
    "column-type": (
        '-- Modify "orders" table\n'
        'ALTER TABLE "orders" ALTER COLUMN "note" TYPE character varying(2000);\n'
    ),
    "index": (
        '-- Create index "ix_orders_currency" to table: "orders"\n'
        'CREATE INDEX "ix_orders_currency" ON "orders" ("currency");\n'
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("change", MODEL_CHANGES.keys())
async def test_atlas_writes_the_migration_for_every_model_change(
    test_database: DatabaseUnderTest, repo_root: Path, tmp_path: Path, change: str
) -> None:
    migrations = shutil.copytree(repo_root / "migrations", tmp_path / "migrations")
    database_url = await test_database.copy("change")
    env = atlas_environment(database_url, test_database.dev_url)
    directory = ["--dir", f"file://{migrations}"]
    change_sql = MODEL_CHANGES[change][0]

    diff = run_atlas(
        ["migrate", "diff", "change", *directory], env, desired=f"{models_ddl()}{change_sql};\n"
    )

    assert diff.returncode == 0
    [written] = migrations.glob("*_change.sql")
    assert written.read_text() == WRITTEN_MIGRATIONS[change]
    # The written migration brings a migrated database to exactly the changed models.
    assert run_atlas(["migrate", "apply", *directory], env).returncode == 0
    changed_models = await catalog(await models_database(test_database, change_sql))
    assert differences(await catalog(database_url), changed_models) == []


async def migrated_copy_with(
    test_database: DatabaseUnderTest, tmp_path: Path, repo_root: Path, sql: str
) -> tuple[dict[str, str], Path, str]:
    """A migration directory with one more file (`sql`), a database at the step before it,
    and the Atlas environment for both."""
    migrations = shutil.copytree(repo_root / "migrations", tmp_path / "migrations")
    (migrations / "29991231000000_extra.sql").write_text(sql)
    database_url = await test_database.copy("extra")
    env = atlas_environment(database_url, test_database.dev_url)
    assert run_atlas(["migrate", "hash", "--dir", f"file://{migrations}"], env).returncode == 0
    return env, migrations, database_url


async def test_production_migrate_up_shows_the_plan_and_needs_a_confirmation(
    test_database: DatabaseUnderTest,
    repo_root: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env, migrations, database_url = await migrated_copy_with(
        test_database, tmp_path, repo_root, 'ALTER TABLE "users" ADD COLUMN "nickname" text NULL;\n'
    )
    refused = migrate_up(env, migrations, production=True, assume_yes=False)
    shown = capsys.readouterr().out

    assert refused == 1
    assert "nickname" in shown
    assert not await column_exists(database_url, "users", "nickname")
    assert migrate_up(env, migrations, production=True, assume_yes=True) == 0
    assert await column_exists(database_url, "users", "nickname")


def test_lint_fails_on_a_destructive_migration(
    test_database: DatabaseUnderTest, repo_root: Path, tmp_path: Path
) -> None:
    migrations = shutil.copytree(repo_root / "migrations", tmp_path / "migrations")
    (migrations / "29991231000000_drop.sql").write_text(
        'ALTER TABLE "users" DROP COLUMN "full_name";\n'
    )
    env = atlas_environment(test_database.url, test_database.dev_url)
    directory = ["--dir", f"file://{migrations}"]
    assert run_atlas(["migrate", "hash", *directory], env).returncode == 0

    linted = run_atlas(["migrate", "lint", "--latest", "1", *directory], env, capture=True)

    assert linted.returncode != 0
    assert "full_name" in linted.stdout
