#!/usr/bin/env bash
# Installs the PostgreSQL server binaries (initdb, pg_ctl, postgres) from
# Debian for the SQL query enrichment tests, which start a private cluster
# per test run (internal/testservers/postgres.go). Idempotent: exits at once
# when a server is already installed. Needs root (or passwordless sudo).
set -euo pipefail
for d in /usr/lib/postgresql/*/bin; do
  if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
    echo "PostgreSQL already installed: $d"
    exit 0
  fi
done
if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
  echo "PostgreSQL already installed: $(command -v initdb)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y postgresql
ls -d /usr/lib/postgresql/*/bin
