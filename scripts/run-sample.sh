#!/usr/bin/env bash
# make run: the main job on the bundled sample with embedded defaults.
set -euo pipefail
bin="$1"
out="${2:-./out}"
cd "$(dirname "$0")/.."
rm -rf "$out"
etl=1793610000000 # fixed, so that re-runs are byte-identical
for format in cloudfront clj-tomcat; do
  echo "== furrow enrich: testdata/sample/$format"
  "$bin" enrich \
    --input-folder "testdata/sample/$format" \
    --input-format "$format" \
    --output-folder "$out/$format/enriched" \
    --bad-folder "$out/$format/bad" \
    --iglu-config testdata/iglu-resolver.json \
    --etl-timestamp "$etl"
  echo
done
echo "Output is in $out:"
find "$out" -type f | sort | sed 's/^/  /'
