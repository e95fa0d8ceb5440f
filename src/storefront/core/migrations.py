"""What the migration directory holds and what the database has applied (used by readiness)."""

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


def migration_versions(migrations_dir: Path) -> list[str]:
    """Versions of the Atlas migration files, oldest first (`<version>_<name>.sql`)."""
    return sorted(path.name.split("_", 1)[0] for path in migrations_dir.glob("*.sql"))


async def applied_versions(connection: AsyncConnection) -> set[str]:
    """Versions Atlas recorded as fully applied; empty when Atlas never ran here."""
    exists = await connection.scalar(text("SELECT to_regclass('atlas_schema_revisions')"))
    if exists is None:
        return set()
    rows = await connection.scalars(
        text(
            "SELECT version FROM atlas_schema_revisions"
            " WHERE applied = total AND coalesce(error, '') = ''"
        )
    )
    return set(rows)
