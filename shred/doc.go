// Package shred owns the second half of the batch: an enriched event becomes
// one atomic row plus one row per self-describing entity (its contexts,
// derived contexts and unstruct event), each entity validated against its
// Iglu schema, with the hierarchy fields RDB Shredder 0.13 wrote (root_id =
// event_id, root_tstamp = collector_tstamp, ref_root "events", ref_tree
// ["events", name], ref_parent "events"). Events that cannot be shredded
// become bad rows with RDB Shredder's messages.
//
// It also owns the output: the JSON Schema → column type mapping (Field,
// Merge), three writers behind one interface (Writer) — RDB Shredder 0.13's
// legacy layout (atomic-events TSV + shredded-types JSON lines), Parquet
// (atomic dataset + one dataset per entity model) and a wide-row Parquet
// table (Snowplow lake-loader columns) — and the commit that marks a run
// complete (Commit: shredding_complete.json, then _SUCCESS).
//
// A reduce task uses it as follows: ParseLine (or an event from the
// exchange) → Shredder.Shred → Writer.Write for good events, Shredder.BadRow
// for *Error results → Writer.Close, whose Stats the coordinator merges into
// a Summary for Commit once every task succeeded.
package shred
