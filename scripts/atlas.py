"""Run Atlas against the project's database, resolved the same way the app resolves it.

    python scripts/atlas.py migrate status       # any atlas command, with `--env local`
    python scripts/atlas.py up [--yes]           # apply pending migrations
    python scripts/atlas.py down [--yes]         # one version back
    python scripts/atlas.py reset [--yes]        # wipe the schema and re-apply every migration
    python scripts/atlas.py lint                 # lint the latest migration

With ENVIRONMENT=production, up, down and reset show what they will run and go on
only when confirmed: at a terminal, with --yes, or with CONFIRM_PRODUCTION_MIGRATION=yes
(for a deploy job).

The dev database Atlas plans in (and wipes) is `<database>_atlas_dev` on the same server.
"""

import asyncio
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from storefront.core.config import get_settings
from storefront.core.database import create_database, resolve_database_url
from storefront.core.migrations import migration_versions

REPO_ROOT = Path(__file__).resolve().parent.parent
# What a migration may create that Atlas does not manage, and so does not drop when
# the migration is reverted: extensions, and functions (a trigger goes with its table).
CREATED_UNMANAGED = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(EXTENSION|FUNCTION)\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?(\w+)\"?",
    re.IGNORECASE,
)
DATA_LOSS = re.compile(r"\bDROP\s+(TABLE|COLUMN|SCHEMA)\b|\bTRUNCATE\b", re.IGNORECASE)


@cache
def atlas_binary() -> str:
    """The Atlas CLI scripts/install-atlas.sh finds (`ATLAS_BIN`, then PATH) or builds."""
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "install-atlas.sh")],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return result.stdout.strip().splitlines()[-1]


def atlas_url(url: str) -> str:
    """A SQLAlchemy URL in Atlas's form, bound to the public schema so files stay schema-less."""
    parsed = make_url(url)
    query = {"sslmode": "disable", **parsed.query, "search_path": "public"}
    return parsed.set(drivername="postgres", query=query).render_as_string(hide_password=False)


def atlas_environment(database_url: str, dev_database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "ATLAS_DATABASE_URL": atlas_url(database_url),
        "ATLAS_DEV_DATABASE_URL": atlas_url(dev_database_url),
        "ATLAS_NO_UPDATE_NOTIFIER": "1",
        "ATLAS_NO_UPGRADE_SUGGESTIONS": "1",
    }


@cache
def models_ddl() -> str:
    """The schema the models describe, as SQL (the desired state for Atlas); printed by
    a process of its own, once per process here (about a second each time)."""
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "print_schema.py")],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    return result.stdout


def run_atlas(
    args: Sequence[str],
    env: dict[str, str],
    *,
    capture: bool = False,
    use_env: bool = True,
    desired: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run Atlas from the repo root, with atlas.hcl's `local` env unless told otherwise.
    The desired state is `desired` when given, else the models' DDL."""
    with tempfile.TemporaryDirectory(prefix="storefront-schema-") as scratch:
        schema = Path(scratch) / "schema.sql"
        if use_env:
            schema.write_text(models_ddl() if desired is None else desired)
        return subprocess.run(
            [atlas_binary(), *args, *(["--env", "local"] if use_env else [])],
            env={**env, "ATLAS_SCHEMA_URL": f"file://{schema}"},
            cwd=REPO_ROOT,
            check=False,
            text=True,
            stdout=subprocess.PIPE if capture else None,
        )


def confirmed(question: str, *, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        print(f"{question} Refusing without a terminal; pass --yes to confirm.", file=sys.stderr)
        return False
    return input(f"{question} Type 'yes' to continue: ").strip() == "yes"


def migrate_down(
    env: dict[str, str], migrations_dir: Path, *, production: bool = False, assume_yes: bool
) -> int:
    """One version back with community primitives: plan, confirm, apply, move the revision."""
    directory = ["--dir", f"file://{migrations_dir}"]
    status = run_atlas(
        ["migrate", "status", *directory, "--format", "{{ .Current }}"], env, capture=True
    )
    if status.returncode != 0:
        return status.returncode
    current = status.stdout.strip()
    versions = migration_versions(migrations_dir)
    if current not in versions:
        print(f"Nothing to roll back (current version: {current or 'none'}).", file=sys.stderr)
        return 1
    position = versions.index(current)
    if position == 0:
        print("Already at the first migration; use `task db-reset` to start over.", file=sys.stderr)
        return 1
    previous = versions[position - 1]
    # Explicit URLs rather than the env: its `src` would be a second desired state.
    target = [
        "schema",
        "apply",
        "--url",
        env["ATLAS_DATABASE_URL"],
        "--dev-url",
        env["ATLAS_DEV_DATABASE_URL"],
        "--to",
        f"file://{migrations_dir}?version={previous}",
        "--exclude",
        "atlas_schema_revisions",
    ]
    plan = run_atlas([*target, "--dry-run"], env, capture=True, use_env=False)
    if plan.returncode != 0:
        return plan.returncode
    print(f"Rolling back {current} -> {previous}. Planned changes:\n{plan.stdout}")
    if (production or DATA_LOSS.search(plan.stdout)) and not confirmed(
        "This drops data." if DATA_LOSS.search(plan.stdout) else "This is production.",
        assume_yes=assume_yes,
    ):
        return 1
    # Captured: the plan above is what runs, and is not printed a second time.
    applied = run_atlas([*target, "--auto-approve"], env, capture=True, use_env=False)
    if applied.returncode != 0:
        print(applied.stdout, file=sys.stderr)
        return applied.returncode
    # What the reverted migration created by hand, Atlas leaves behind: drop it here.
    reverted = next(migrations_dir.glob(f"{current}_*.sql")).read_text()
    for kind, name in CREATED_UNMANAGED.findall(reverted):
        asyncio.run(drop_unmanaged(env["ATLAS_DATABASE_URL"], kind.upper(), name))
    moved = run_atlas(["migrate", "set", previous, *directory], env, capture=True)
    if moved.returncode == 0:
        print(f"Rolled back to {previous}.")
    return moved.returncode


def migrate_up(
    env: dict[str, str], migrations_dir: Path, *, production: bool, assume_yes: bool
) -> int:
    """Apply pending migrations; in production, show them and ask first."""
    apply = ["migrate", "apply", "--dir", f"file://{migrations_dir}"]
    if production:
        plan = run_atlas([*apply, "--dry-run"], env, capture=True)
        if plan.returncode != 0:
            return plan.returncode
        print(f"Pending migrations, to be applied to production:\n{plan.stdout}")
        if "No migration files to execute" in plan.stdout:
            return 0
        if not confirmed("This is production.", assume_yes=assume_yes):
            return 1
    return run_atlas(apply, env).returncode


def lint(env: dict[str, str]) -> int:
    """Lint the latest migration; explain in one line when the build wants a login."""
    result = subprocess.run(
        [atlas_binary(), "migrate", "lint", "--latest", "1", "--env", "local"],
        env={**env, "ATLAS_SCHEMA_URL": "file:///dev/null"},
        cwd=REPO_ROOT,
        check=False,
        text=True,
        capture_output=True,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0 and "login" in output.lower():
        print(
            "migrate lint: this official Atlas build requires `atlas login` (official builds"
            " since v0.38); log in, or lint with the community build (ATLAS_BIN=...).",
            file=sys.stderr,
        )
    else:
        print(output, end="")
    return result.returncode


async def drop_unmanaged(atlas_database_url: str, kind: str, name: str) -> None:
    url = make_url(atlas_database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await connection.execute(f'DROP {kind} IF EXISTS "{name}"')
    finally:
        await connection.close()


def reset(env: dict[str, str], *, production: bool, assume_yes: bool) -> int:
    print("Will run: atlas schema clean (drops everything), then atlas migrate apply.")
    question = "This deletes every table and row in the database."
    if production:
        question = f"This is production. {question}"
    if not confirmed(question, assume_yes=assume_yes):
        return 1
    cleaned = run_atlas(["schema", "clean", "--auto-approve"], env)
    if cleaned.returncode != 0:
        return cleaned.returncode
    return run_atlas(["migrate", "apply"], env).returncode


def main(argv: list[str]) -> int:
    settings = get_settings()
    database_url = asyncio.run(resolve_database_url(settings.database))
    dev_name = f"{make_url(database_url).database}_atlas_dev"
    dev_database_url = asyncio.run(create_database(database_url, dev_name))
    env = atlas_environment(database_url, dev_database_url)
    command, *rest = argv or ["--help"]
    assume_yes = "--yes" in rest or os.environ.get("CONFIRM_PRODUCTION_MIGRATION") == "yes"
    production = settings.is_production
    migrations = REPO_ROOT / "migrations"
    if command == "up":
        return migrate_up(env, migrations, production=production, assume_yes=assume_yes)
    if command == "down":
        return migrate_down(env, migrations, production=production, assume_yes=assume_yes)
    if command == "reset":
        return reset(env, production=production, assume_yes=assume_yes)
    if command == "lint":
        return lint(env)
    return run_atlas(argv, env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
