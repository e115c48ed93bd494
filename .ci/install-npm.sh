#!/usr/bin/env bash
# dynalite (DynamoDB) and DuckDB (independent Parquet reader), pinned in
# package.json / package-lock.json. `npm install` rather than `npm ci`:
# npm 11 refuses `ci` for lock files whose other-platform optional packages
# (DuckDB's darwin/win32 bindings) it did not record, and `install` honours
# the same lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --no-audit --no-fund --loglevel=error
test -f node_modules/dynalite/cli.js || { echo "dynalite did not install" >&2; exit 1; }
test -d node_modules/@duckdb/node-api || { echo "@duckdb/node-api did not install" >&2; exit 1; }
