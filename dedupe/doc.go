// Package dedupe owns event deduplication for one reduce partition
// (partition = hash of event_id), as RDB Shredder 0.13 did it, made
// deterministic and memory-bounded:
//
//   - natural duplicates (same event_id and event_fingerprint): one is kept,
//     the others are counted (Stats.NaturalDuplicates);
//   - cross-batch duplicates: every surviving (event_id, fingerprint) is
//     checked against a Manifest (package dedupe/dynamo stores it in
//     DynamoDB, compatible with RDB Shredder's table); one seen by another
//     batch is dropped (Stats.CrossBatchDuplicates);
//   - synthetic duplicates (same event_id, different fingerprints, after the
//     two steps above): every one is kept with a new, derived event_id and
//     is emitted with a Synthetic so that the shredder attaches the
//     com.snowplowanalytics.snowplow/duplicate/jsonschema/1-0-0 context.
//
// Lines are enriched TSV ([]byte, event.NumFields fields). Lines that cannot
// be deduplicated are refused by Add with an error wrapping
// ErrMalformedLine, which the caller writes as a bad row.
//
// # Rules
//
// The in-batch order of RDB Shredder is kept: natural dedupe, then the
// cross-batch manifest on the survivors, then synthetic dedupe on what the
// manifest kept (so an event_id whose other fingerprint was seen in an
// earlier batch is not a synthetic duplicate any more).
//
// Every decision derives from one total order on lines, cmpRec: event_id
// (as 16 bytes, so case variants of one UUID group together), fingerprint
// hash, fingerprint, etl_tstamp text, whole line. Hence:
//
//   - the natural duplicate kept is the one with the earliest etl_tstamp
//     (later RDB Shredder versions took minBy(etl_tstamp); 0.13 took the
//     first one Spark happened to see), ties broken by the lexicographically
//     smallest line;
//   - a synthetic duplicate's new event_id is
//     UUIDv5(SyntheticNamespace, originalId + "/" + fingerprint), where RDB
//     Shredder drew a random UUIDv4; events without a fingerprint use
//     UUIDv5(SyntheticNamespace, originalId + "//" + line + "/" + n), n
//     counting earlier identical lines;
//   - output order is ascending original event_id, then fingerprint hash,
//     fingerprint, etl_tstamp and line (a synthetic duplicate keeps its
//     original id's place).
//
// So the output bytes and order depend only on the multiset of input lines,
// not on their order, nor on whether the partition spilled: re-runs are
// byte-identical.
//
// A null (empty) event_fingerprint follows RDB Shredder, which grouped such
// events under a random UUID: they are never natural duplicates of anything
// (identical copies all survive) and are never sent to the manifest (a
// random fingerprint never matched, so they were always kept), but they do
// take part in synthetic dedupe by event_id.
//
// # Design
//
// Add scans a line once (a vectorised tab count for the field-count check,
// then word-at-a-time scans of the first seven and the last two fields:
// etl_tstamp, event_id, event_fingerprint), copies it into an arena of
// chunks and appends a 40-byte sort key (event_id as two uint64, xxhash64 of
// the fingerprint, the line's place) plus 16 bytes of field offsets.
// Finish sorts the keys by the compact key alone (event_id, fingerprint
// hash: up to two 8-bit MSD radix passes on the random event_id bits and
// insertion sort within the small buckets left, no line touched), then
// orders each run of equal keys by the rest of cmpRec and drops its natural
// duplicates on the spot (a run of k identical copies costs k-1 line
// comparisons). Runs are handled in batches whose lines are loaded first, so
// that their cache misses overlap. Finish then walks the keys: an event_id
// seen once is emitted straight from its key; groups (their lines loaded
// ahead the same way) go through the manifest (in batches of
// Config.ManifestBatch) and synthetic handling. A Deduper can be Reset and
// reused for the next partition, keeping its arena.
//
// Everything held — arena chunks, keys, the radix scratch, offsets, slice
// capacity included — counts against Config.MemoryBudget. When the next
// allocation would exceed it, the keys are sorted (natural duplicates
// dropped) and the lines written as a run: an S2 stream (klauspost/compress,
// 128 KiB blocks, each CRC-checked) of records in cmpRec order, in a private
// folder under
// Config.SpillDir; the arena is then reused. Finish spills the remainder,
// frees the arena, merges runs k at a time (k bounded by the budget and
// Config.MaxMergeFanIn) until one pass can stream the final merge through
// the same group logic. Because cmpRec is a total order, the merged stream
// equals the in-memory sort. Spill files are removed by Finish on every path
// (error, cancellation) and by Close / Reset. While waiting for the
// manifest, at most about max(1 MiB, budget/8) of line copies (plus one
// event_id group) are held beyond the merge readers.
package dedupe
