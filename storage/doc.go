// Package storage owns furrow's one view of where bytes live: the Store
// interface (list, ranged read, atomic create, delete) that every backend
// (storage/local, storage/s3, storage/hdfs) implements, and the parsing of
// the locations users give (s3://bucket/prefix, hdfs://namenode:port/path,
// file:///path and plain paths).
//
// A Store is rooted at a location; keys are slash-separated paths relative to
// that root ("enriched/part-00000.tsv"). Writes are atomic: an object created
// with Create becomes visible under its key only when the Writer's Close
// returns nil, and Abort (or a failed Close) leaves nothing behind. That is
// what lets task outputs have deterministic names that a retry simply
// overwrites.
package storage
