#!/usr/bin/env bash
# Runs every Fuzz target in the module for the given time each.
set -euo pipefail
t="${1:-30s}"
cd "$(dirname "$0")/.."
fail=0
while IFS= read -r pkg; do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  while IFS= read -r target; do
    [ -n "$target" ] || continue
    echo "== $pkg $target ($t)"
    if ! go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$t"; then
      fail=1
    fi
  done < <(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u)
done < <(go list ./...)
exit $fail
