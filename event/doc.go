// Package event owns furrow's shared vocabulary: the canonical 131-field
// enriched event of Snowplow R108 (field order, kinds, maximum lengths), its
// TSV codec, Iglu schema keys and self-describing JSON, and bad rows.
//
// An Event stores every field as the exact string Snowplow wrote into the
// enriched TSV ("" = null). Typed access (ints, doubles, timestamps,
// booleans) goes through the field kind table, so the TSV round trip is
// lossless and cheap, and the Parquet writer can still type every column.
//
// The package imports nothing of furrow's.
package event
