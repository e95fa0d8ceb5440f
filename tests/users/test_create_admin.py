"""The create-admin command, run as a user would run it, against its own database."""

import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from storefront.core.database import plain_url


def create_admin(
    repo_root: Path, database_url: str, email: str, *, password: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/create_admin.py", email],
        env={**os.environ, "DATABASE_URL": database_url, "ADMIN_PASSWORD": password},
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_create_admin_creates_then_promotes(cli_database: str, repo_root: Path) -> None:
    created = create_admin(repo_root, cli_database, "Root@Example.com", password="Admin-Pass-123")
    connection = await asyncpg.connect(plain_url(cli_database))
    try:
        await connection.execute(
            "INSERT INTO users (id, email, full_name, hashed_password, role, is_active)"
            " VALUES (gen_random_uuid(), 'ops@example.com', 'Ops', 'x', 'customer', false)"
        )
        promoted = create_admin(repo_root, cli_database, "OPS@example.com", password="unused")
        rows = await connection.fetch("SELECT email, role, is_active FROM users ORDER BY email")
    finally:
        await connection.close()

    assert created.stdout.strip() == "Created admin root@example.com."
    assert promoted.stdout.strip() == "ops@example.com is now an active admin."
    assert [tuple(row) for row in rows] == [
        ("ops@example.com", "admin", True),
        ("root@example.com", "admin", True),
    ]


async def test_create_admin_refuses_a_weak_password(cli_database: str, repo_root: Path) -> None:
    result = create_admin(repo_root, cli_database, "root@example.com", password="short")

    assert result.returncode != 0
    assert "at least 12 characters" in result.stderr
