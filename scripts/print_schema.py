"""Print the DDL of every model; Atlas reads it as the desired schema (atlas.hcl)."""

from atlas_provider_sqlalchemy.ddl import print_ddl

from storefront.core.models import Base

print_ddl("postgresql", [Base])
