// Package collector owns the collector log formats furrow reads, by the
// names Spark Enrich used for --input-format: cloudfront, clj-tomcat,
// thrift, ndjson/com.urbanairship.connect/v1 and
// tsv/com.amazon.aws.cloudfront/wd_access_log. A Format splits a decompressed
// input stream into records and turns each record into collector Payloads,
// nothing (a discarded header or non-tracker line) or an error that becomes a
// bad row.
//
// The contract is Snowplow R108's loaders (scala-common-enrich 0.34.0 as
// Spark Enrich 1.15.0 ran them), bug for bug where a bug changes output:
// the CloudFront line regex and its historical layouts, the undoing of
// CloudFront's double percent-encoding, java.net.URI's validation of the
// querystring and httpclient's splitting and decoding of it, Joda-Time's
// parsing of the log timestamps, commons-codec's lenient base64, libthrift's
// TBinaryProtocol reading and its error messages, and the JVM's replacement
// of malformed UTF-8. Each file says which Snowplow code it follows.
//
// Reading: Decompress sniffs gzip, zstd, lzop (Hadoop LZO) or plain data by
// magic bytes; Format.NewReader frames the result (Hadoop's
// LineRecordReader rules for the line formats, elephant-bird block files or
// base64 lines for thrift); Format.Parse turns a record into payloads.
// Sub-packages: lzop (the lzop container), blockfile (elephant-bird's block
// format) and collectortest (writers of test inputs).
//
// Splits: the line formats are Splittable; NewLineSplitReader reads one
// byte range of an uncompressed file with Hadoop's rule (a split skips its
// first partial line and reads every line that starts at or before its
// end), so adjacent splits read each line exactly once.
//
// Concurrency: Formats are stateless and safe for concurrent use; a
// RecordReader belongs to one goroutine. Memory: one record is at most
// MaxRecordSize bytes; readers hold one record (or one block) at a time.
//
// Where furrow knowingly differs from R108:
//   - A parameter without '=' (Java null value) and a present-but-empty
//     body both come out as "" (Payload has no null).
//   - Querystrings in charsets other than UTF-8, ISO-8859-1 and US-ASCII
//     are bad rows with Java's unsupported-charset message.
//   - A blank ndjson line ("  ") is a bad row "Unparsable JSON"; Snowplow's
//     job failed on it.
//   - Thrift: nesting deeper than 1000 is an error (the JVM overflowed its
//     stack); container sizes are not preallocated (the JVM could run out
//     of memory); a base64 line of only blanks is discarded like an empty
//     line (elephant-bird deserialised it as zero bytes, a bad row).
//   - elephant-bird skipped unreadable bytes up to the next block marker
//     and ignored a truncated last block: here both are reader errors.
//   - Lines and records over MaxRecordSize are ErrRecordTooLong errors.
//   - The JVM's toUpperCase is reproduced for ASCII (and ß); it only
//     decides whether a method is GET or POST.
package collector
