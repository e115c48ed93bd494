// Package pipeline owns furrow's jobs: planning input splits, running map
// tasks (read → decompress → collector format → adapters → enrich, or read
// enriched TSV for shred), moving good events through a shuffle.Exchange
// partitioned by event_id, running reduce tasks (archive the enriched TSV,
// dedupe, shred, write), the commit protocol, the run report and progress.
//
// There is one engine: `furrow enrich`, `furrow shred` and `furrow run` are
// compositions of the same map and reduce stages, and a local run differs
// from a cluster run only in the Exchange and in where tasks execute.
//
// Nothing is lost: every task counts what it read and what it produced, the
// counts of a task are merged only when its outputs are committed (so a
// retried task never double-counts), and a job fails unless
// lines_in + batch_extra = good + bad + discarded (+ duplicates_dropped).
package pipeline
