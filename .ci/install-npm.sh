#!/usr/bin/env bash
# dynalite (DynamoDB) and DuckDB (independent Parquet reader), pinned in package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --loglevel=error
test -f node_modules/dynalite/cli.js || { echo "dynalite did not install" >&2; exit 1; }
