#!/usr/bin/env bash
# Installs the MariaDB server from Debian for the SQL query enrichment's
# MySQL tests, which start a private server per test run
# (internal/testservers/mysql.go). Idempotent: exits at once when a server
# is already installed. Needs root (or passwordless sudo). Debian's package
# does not start a system service when no init system runs (containers).
set -euo pipefail
for p in mariadbd mysqld /usr/sbin/mariadbd /usr/sbin/mysqld; do
  if command -v "$p" >/dev/null 2>&1 && { command -v mariadb-install-db >/dev/null 2>&1 || command -v mysql_install_db >/dev/null 2>&1; }; then
    echo "MariaDB/MySQL already installed: $(command -v "$p")"
    exit 0
  fi
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y mariadb-server
command -v mariadbd || ls /usr/sbin/mariadbd
