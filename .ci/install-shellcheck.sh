#!/usr/bin/env bash
# Installs shellcheck (Debian's package) for the bootstrap action's lint
# test (bootstrap: TestShellcheck) and `make lint`. Idempotent.
set -euo pipefail
if command -v shellcheck >/dev/null 2>&1; then
  echo "shellcheck $(shellcheck --version | sed -n 's/^version: //p') already installed"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-shellcheck: not root and no sudo: install shellcheck yourself" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq shellcheck >/dev/null
echo "installed shellcheck $(shellcheck --version | sed -n 's/^version: //p')"
