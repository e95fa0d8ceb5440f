import pytest

from scripts.atlas import atlas_environment, run_atlas
from storefront.core.database import create_database
from tests.conftest import DatabaseUnderTest


@pytest.fixture
async def cli_database(test_database: DatabaseUnderTest) -> str:
    """A fresh, migrated database of its own, for commands that commit."""
    url = await create_database(test_database.url, "storefront_test_cli", replace=True)
    applied = run_atlas(["migrate", "apply"], atlas_environment(url, test_database.dev_url))
    assert applied.returncode == 0
    return url
