# Atlas project. Run it through the `migrate-*` tasks, which set the URLs below
# (scripts/atlas.py resolves the database the same way the app does).

data "external_schema" "models" {
  # The models' DDL, generated afresh on every run, so no file can go stale.
  program = ["python", "scripts/print_schema.py"]
}

env "local" {
  src = data.external_schema.models.url
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
