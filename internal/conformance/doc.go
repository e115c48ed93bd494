// Package conformance runs the peer's own test suite — Snowplow Spark Enrich
// R108 and RDB Shredder 0.13, converted to JSON fixtures in
// ../shared/conformance — through the real `furrow enrich` and `furrow shred`
// binaries, and compares what furrow wrote with what the peer asserted, field
// by field.
//
// The harness serves ../shared/iglu-central over HTTP on 127.0.0.1 as the
// Iglu registry and the fixtures' data files (MaxMind and IAB test
// databases) from a second loopback server, rewriting every enrichment asset
// URI to it, exactly as a user would point furrow at their own asset bucket.
// Fields written by an enrichment that furrow does not implement yet are
// counted as pending, never as matches.
package conformance
