#!/usr/bin/env bash
# Print the path of an Atlas CLI: $ATLAS_BIN, else `atlas` on PATH, else the
# community edition built from the Go module proxy (Go 1.22+). The build is cached outside the repo,
# keyed by version, so later runs and fresh clones on the same machine reuse it.
set -euo pipefail

# cmd/atlas is its own Go module and v0.13.1 is its newest tag; the proxy
# serves tags but refuses uncached pseudo-versions, so a newer commit of the
# CLI cannot be fetched from it.
ATLAS_VERSION="v0.13.1"
# The x/tools that v0.13.1 pins does not compile with Go >= 1.23.
X_TOOLS_VERSION="v0.30.0"
# Bump when the patch below changes, so cached builds are replaced.
BUILD_REVISION="pg16-check-enum-3"

if [ -n "${ATLAS_BIN:-}" ]; then  # one run with a chosen build
  echo "$ATLAS_BIN"
  exit 0
fi

if command -v atlas >/dev/null 2>&1; then
  command -v atlas
  exit 0
fi

cache_dir="${ATLAS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/storefront/atlas/$ATLAS_VERSION-$BUILD_REVISION}"
binary="$cache_dir/atlas"
if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<'MSG'
Atlas is not installed and Go is not available to build it.
Install Atlas with the official installer, then run this again:
  curl -sSf https://atlasgo.sh | sh
MSG
  exit 1
fi

echo "Building Atlas $ATLAS_VERSION with Go (once per machine, a few minutes)..." >&2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
go mod init storefront-atlas-build >/dev/null 2>&1
go get "ariga.io/atlas/cmd/atlas@$ATLAS_VERSION" >&2
go get "golang.org/x/tools@$X_TOOLS_VERSION" >&2

# PostgreSQL 16 moved lc_collate/lc_ctype from pg_settings to pg_database; the
# Atlas core this CLI pins still reads them from pg_settings and refuses to
# connect. Build against a copy with that one query fixed.
core_version=$(go list -m -f '{{.Version}}' ariga.io/atlas)
core_dir=$(go mod download -json "ariga.io/atlas@$core_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
cp -r "$core_dir" atlas-core
chmod -R u+w atlas-core
inspect=atlas-core/sql/postgres/inspect.go
fixed_query="SELECT setting FROM (SELECT name, setting FROM pg_settings WHERE name IN ('server_version_num', 'crdb_version') UNION ALL SELECT 'lc_ctype', datctype FROM pg_database WHERE datname = current_database() UNION ALL SELECT 'lc_collate', datcollate FROM pg_database WHERE datname = current_database()) AS params ORDER BY name DESC"
sed -i "s|^\tparamsQuery = \`SELECT setting FROM pg_settings WHERE name IN ('lc_collate', 'lc_ctype', 'server_version_num', 'crdb_version') ORDER BY name DESC\`|\tparamsQuery = \`$fixed_query\`|" "$inspect"
grep -qF "$fixed_query" "$inspect" || { echo "Patching Atlas for PostgreSQL 16+ failed" >&2; exit 1; }

# Newer Atlas compares CHECK expressions; this core matches checks by name only,
# so a new enum value would diff as "synced". Compare the expressions too: both
# sides are inspected from the dev database, so equal checks print alike.
diff_go=atlas-core/sql/postgres/diff.go
no_inherit='return sqlx.Has(c1.Attrs, \&NoInherit{}) == sqlx.Has(c2.Attrs, \&NoInherit{})'
sed -i "s|$no_inherit\$|$no_inherit \&\& c1.Expr == c2.Expr|" "$diff_go"
grep -qF '&NoInherit{}) && c1.Expr == c2.Expr' "$diff_go" || { echo "Patching Atlas CHECK comparison failed" >&2; exit 1; }

# Dropping an enum type (reverting the migration that created it) qualifies it with
# its schema even when the URL binds the schema and the name is empty: `"".name`.
migrate_go=atlas-core/sql/postgres/migrate.go
sed -i 's|^\tcase e.Schema != nil:$|\tcase e.Schema != nil \&\& e.Schema.Name != "":|' "$migrate_go"
grep -qF 'case e.Schema != nil && e.Schema.Name != "":' "$migrate_go" || { echo "Patching Atlas enum drop failed" >&2; exit 1; }

go mod edit -replace ariga.io/atlas=./atlas-core
mkdir -p "$cache_dir"
go build -trimpath \
  -ldflags "-X ariga.io/atlas/cmd/atlas/internal/cmdapi.version=$ATLAS_VERSION" \
  -o "$binary.tmp" ariga.io/atlas/cmd/atlas >&2
mv "$binary.tmp" "$binary"
echo "$binary"
