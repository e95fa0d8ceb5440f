# Atlas project. Run it through the `migrate-*` tasks, which set the URLs below
# (scripts/atlas.py resolves the database the same way the app does, and writes the
# models' DDL to a temporary file for each call, so no file can go stale and
# parallel runs cannot collide). No `data "external_schema"`: community builds
# since January 2025 do not have it.

env "local" {
  src = getenv("ATLAS_SCHEMA_URL")
  url = getenv("ATLAS_DATABASE_URL")
  # An empty database Atlas may wipe, on the same server, never the app's.
  dev = getenv("ATLAS_DEV_DATABASE_URL")
  migration {
    dir = "file://migrations"
  }
  format {
    migrate {
      diff = "{{ sql . \"  \" }}"
    }
  }
}
