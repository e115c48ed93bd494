// Package shred owns the second half of the batch: an enriched event becomes
// one atomic row plus one row per self-describing entity (its unstruct
// event, contexts and derived contexts), each entity validated against its
// Iglu schema, with the hierarchy RDB Shredder 0.13 wrote (root_id =
// event_id, root_tstamp = collector_tstamp, ref_root "events", ref_tree
// ["events", name], ref_parent "events"). Events that cannot be shredded
// become bad rows carrying RDB Shredder's messages.
//
// It also owns the output: the JSON Schema → column mapping (Field,
// FieldsFromSchema, Merge), three writers behind one interface (Writer) —
// RDB Shredder 0.13's legacy layout (FormatLegacy), Parquet with one dataset
// per entity model (FormatParquet) and the lake loader's wide-row table
// (FormatWideRow) — and the commit that marks a run complete (Commit).
//
// # A reduce task
//
//	sh, _ := shred.New(resolver, shred.Config{FailureTstamp: etl, Typed: format.Typed()}) // one per process
//	w, _ := shred.NewWriter(shred.WriterConfig{Format: format, Store: out, Prefix: runDir,
//		Partition: p, Shredder: sh})
//	for each deduplicated event (ev, originalEventID):
//		s, err := sh.Shred(ctx, ev, originalEventID)
//		if e, bad := shred.AsError(err); bad { write sh.BadRow(line, e); continue }
//		if err != nil { w.Abort(); return err } // registry down, cancelled: retry the task
//		if err := w.Write(ctx, s); err != nil { w.Abort(); return err }
//	stats, err := w.Close(ctx) // files complete; stats go to the coordinator
//
// Lines straight from enriched TSV go through ParseLine (RDB Shredder 0.13's
// 108–131 field rule) or ShredLine. File names depend only on the partition
// and a sequence number, so a retried task overwrites its own earlier files.
// When every task succeeded, the coordinator merges the Stats (Stats.Merge)
// into a Summary and calls Commit, which writes shredding_complete.json and
// then _SUCCESS, last.
//
// # Determinism
//
// Identical input in the same order gives byte-identical files: Parquet
// footers carry created_by "furrow" and no time, column layouts depend only
// on the registry content and the versions asked for (ListModel), and bad
// rows carry the run's etl timestamp.
//
// # Memory
//
// Arrow builders allocate from WriterConfig.Allocator through a pool that
// reuses buffers across record batches (BatchRows rows, default 8192); a
// buffered Parquet row group keeps its compressed pages until it reaches
// RowGroupBytes of uncompressed data (default 128 MiB); Close and Abort
// return every tracked byte. arrow-go v15's Parquet encoders allocate their
// own page buffers on the Go heap (they do not release them all, see
// pqfile.go), and its zstd codec is replaced by one that reuses encoders
// (zstd.go).
package shred
