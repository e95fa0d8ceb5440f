import pytest

from tests.conftest import DatabaseUnderTest


@pytest.fixture
async def cli_database(test_database: DatabaseUnderTest) -> str:
    """A fresh, migrated database of its own, for commands that commit."""
    return await test_database.copy("cli")
