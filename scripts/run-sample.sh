#!/usr/bin/env bash
# make run: the main job (furrow run: enrich → dedupe → shred to Parquet) on
# the bundled sample, with embedded defaults: no AWS account, no config.
set -euo pipefail
bin="$1"
out="${2:-./out}"
cd "$(dirname "$0")/.."
rm -rf "$out"
etl=1793610000000 # fixed, so that re-runs are byte-identical
# The default enrichment set; its MaxMind databases are furrow's own test
# databases, used in place (no download).
enrichments=(--enrichments testdata/enrichments --assets-dir testdata/maxmind)
for format in cloudfront clj-tomcat; do
  echo "== furrow run: testdata/sample/$format → $out/$format"
  "$bin" run \
    --input-folder "testdata/sample/$format" \
    --input-format "$format" \
    --output-folder "$out/$format" \
    --iglu-config testdata/iglu-resolver.json \
    "${enrichments[@]}" \
    --format parquet \
    --write-enriched \
    --etl-timestamp "$etl"
  echo
done
echo "Output is in $out:"
find "$out" -type f | sort | sed 's/^/  /'
