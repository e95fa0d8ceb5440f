"""`task shell`, driven as a person would type into it."""

import os
import re
import subprocess
import sys
from pathlib import Path

from storefront.core.database import create_database
from tests.conftest import DatabaseUnderTest, database_name

SESSION = """\
await db.scalar(select(func.count()).select_from(Product))
await db.scalar(text("SELECT 41 + 1"))
"""


def run_shell(repo_root: Path, database_url: str) -> str:
    result = subprocess.run(
        [sys.executable, "scripts/shell.py"],
        input=SESSION,
        env={**os.environ, "DATABASE_URL": database_url, "NO_COLOR": "1"},
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)


async def test_on_an_unmigrated_database_it_says_what_to_run_and_recovers_from_errors(
    test_database: DatabaseUnderTest, repo_root: Path
) -> None:
    empty = await create_database(test_database.url, database_name("shell"), replace=True)

    output = run_shell(repo_root, empty)

    assert "not applied to this database" in output
    assert "uv run task migrate-up" in output
    assert 'relation "products" does not exist' in output
    assert "current transaction is aborted" not in output
    assert "Out[2]: 42" in output


async def test_on_a_migrated_database_it_just_works(
    test_database: DatabaseUnderTest, repo_root: Path
) -> None:
    output = run_shell(repo_root, await test_database.copy("shell"))

    assert "not applied" not in output
    assert "Out[1]: 0" in output
