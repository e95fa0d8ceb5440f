"""Print the DDL of every model; Atlas reads it as the desired schema (atlas.hcl)."""

from atlas_provider_sqlalchemy.ddl import print_ddl

from storefront.core.models import EXTENSIONS, Base
from storefront.jobs.models import QUEUE_DDL

for extension in EXTENSIONS:
    print(f"CREATE EXTENSION IF NOT EXISTS {extension};\n")
print_ddl("postgresql", [Base])
print(QUEUE_DDL)
