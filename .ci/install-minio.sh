#!/usr/bin/env bash
# Installs the pinned MinIO server (see ../shared/TESTING.md) into
# $FURROW_TOOLS_DIR/bin for the S3 tests. Idempotent: a binary that already
# reports the pinned build is kept, so reruns take about a second. MinIO is
# AGPL: it runs only as an external test server, furrow never imports it.
set -euo pipefail
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
MINIO_COMMIT="7aac2a2c5b7c"
bin="${FURROW_TOOLS_DIR:-$HOME/.cache/furrow-tools}/bin"
mkdir -p "$bin"
stamp="$bin/.minio-version"
if [ -x "$bin/minio" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$MINIO_VERSION" ]; then
  echo "minio $MINIO_VERSION already installed in $bin"
  exit 0
fi
echo "building minio $MINIO_VERSION (a few minutes on a cold module cache)"
# `go install pkg@version` ignores furrow's go.mod; clear GOFLAGS so a
# caller's -mod=vendor or similar cannot interfere.
GOFLAGS='' GOBIN="$bin" go install "github.com/minio/minio@$MINIO_VERSION"
"$bin/minio" --version >/dev/null
echo "$MINIO_VERSION" > "$stamp"
echo "installed $("$bin/minio" --version | head -1) (commit $MINIO_COMMIT) in $bin"
