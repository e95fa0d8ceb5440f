import shutil
from collections.abc import Callable
from pathlib import Path

from httpx import AsyncClient

from storefront.core.config import Settings
from storefront.core.main import create_app
from tests.conftest import client_for


async def test_live_answers_ok(client: AsyncClient) -> None:
    response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_database_answers_and_migrations_are_applied(client: AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


async def test_not_ready_when_database_is_unreachable(
    settings_for: Callable[..., Settings], tmp_path: Path
) -> None:
    # A socket directory with no server in it: connecting fails at once.
    app = create_app(settings_for(f"postgresql://postgres@/storefront?host={tmp_path}"))
    async with app.router.lifespan_context(app), client_for(app) as client:
        response = await client.get("/health/ready")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["checks"] == {"database": "failed", "migrations": "unknown"}


async def test_not_ready_when_a_migration_is_pending(
    settings_for: Callable[..., Settings],
    settings: Settings,
    repo_root: Path,
    tmp_path: Path,
) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(repo_root / "migrations", migrations)
    (migrations / "29991231000000_not_yet_applied.sql").write_text("SELECT 1;\n")
    database_url = settings.database.url
    assert database_url is not None
    app = create_app(settings_for(database_url.get_secret_value(), migrations_dir=migrations))

    async with app.router.lifespan_context(app), client_for(app) as client:
        response = await client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"database": "ok", "migrations": "pending"}
    assert body["pending_migrations"] == ["29991231000000"]
