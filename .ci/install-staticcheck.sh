#!/usr/bin/env bash
set -euo pipefail
bin="${FURROW_TOOLS_DIR:-$HOME/.cache/furrow-tools}/bin"
if ! "$bin/staticcheck" -version 2>/dev/null | grep -q '0.8.2'; then
  GOBIN="$bin" go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
