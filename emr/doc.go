// Package emr owns furrow's EmrEtlRunner replacement: the furrow.yml
// configuration (EmrEtlRunner's config.yml layout plus furrow's own keys),
// the staged run that `furrow run --config furrow.yml` performs, the run
// lock, the file moves it is built from, and `furrow validate`'s checks.
//
// # The staged run
//
// RunStaged runs the steps EmrEtlRunner ran, in its order and with its
// names, so that `--skip` and `--resume-from` mean what they meant:
//
//	staging           raw.in/*            → raw.processing/        (copy + delete, per file)
//	enrich + shred    raw.processing/     → shredded.good/run=ID/  (one pipeline job)
//	                                        enriched.good/run=ID/  (the enriched TSV)
//	                                        enriched.bad/run=ID/   (bad rows)
//	archive_raw       raw.processing/*    → raw.archive/run=ID/
//	archive_enriched  enriched.good/run=ID → enriched.archive/run=ID
//	archive_shredded  shredded.good/run=ID → shredded.archive/run=ID
//
// ID is the run's timestamp, YYYY-MM-DD-hh-mm-ss (UTC), and the enriched
// events' etl_tstamp is the same instant. When only one of enrich and shred
// runs, it is its own pipeline job (furrow enrich into enriched.good/run=ID,
// or furrow shred from it).
//
// Every move is per file: copy (server-side within S3), then delete the
// source, destination markers (_SUCCESS, shredding_complete.json) last. A
// file whose copy already exists at the destination with the same size is
// not copied again, so an interrupted move resumes where it stopped.
//
// # The lock
//
// A run starts by creating the lock object (furrow.lock, default
// <raw.processing>.lock) with a conditional create: If-None-Match: * on S3,
// an exclusive link on local disks. A second run finds it and is refused.
// The lock holds the run's state (run id, steps done, the failure); it is
// deleted when the run succeeds, or when the run found nothing to do
// (EmrEtlRunner's no-op errors). A failed run keeps it: the next run is
// refused until an operator resumes with --ignore-lock-on-start, which
// takes the lock over and continues the same run — same run id, same
// etl_tstamp, steps already done skipped — so the resumed run's output is
// identical to an uninterrupted one. Outputs of a failed pipeline job
// (a run= folder without _SUCCESS) are removed before the job runs again.
package emr
