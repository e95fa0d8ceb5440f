"""The job queue's tables. PgQueuer owns them, so they are not ORM models: their DDL,
as the installed PgQueuer release declares it, joins the models' DDL as Atlas's
desired state, and upgrading PgQueuer shows up as drift like any model change."""

from pgqueuer.adapters.persistence.qb import QueryBuilderEnvironment

# Atlas community builds neither compare nor drop functions and triggers. So the
# migration that creates the queue has PgQueuer's NOTIFY function and trigger
# written in by hand (tests/core/test_migrations.py compares them through
# PostgreSQL's catalog), and the function is replaced rather than created, as a
# database Atlas cleaned may still have it.
QUEUE_DDL = (
    QueryBuilderEnvironment()
    .build_install_query(create_schema=False)
    .replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
)
