#!/usr/bin/env bash
# govulncheck against a pinned copy of the Go vulnerability database.
#
# The database is built from the OSV files of the golang.org/x/vulndb
# module (fetched through the Go module proxy like any module), so the
# check runs where vuln.go.dev cannot be reached and gives the same answer
# for the same pins. Raise VULNDB to see newer reports.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
GOVULNCHECK=${GOVULNCHECK:-golang.org/x/vuln/cmd/govulncheck@v1.9.0}
VULNDB=${VULNDB:-v0.0.0-20261105234957-e22db6528018}

cache="${XDG_CACHE_HOME:-$HOME/.cache}/postbacksim/vulndb-$VULNDB"
if [ ! -f "$cache/index/db.json" ]; then
  src=$("$GO" mod download -json "golang.org/x/vulndb@$VULNDB" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src/data/osv" ] || { echo "vulncheck: golang.org/x/vulndb@$VULNDB has no data/osv" >&2; exit 1; }
  rm -rf "$cache.tmp"
  "$GO" run "golang.org/x/vulndb/cmd/indexdb@$VULNDB" -vulns "$src/data/osv" -out "$cache.tmp"
  rm -rf "$cache" && mv "$cache.tmp" "$cache"
fi
"$GO" run "$GOVULNCHECK" -db "file://$cache" ./...
