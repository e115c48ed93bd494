// Package collector owns the collector log formats furrow reads, by the
// names Spark Enrich used for --input-format: cloudfront, clj-tomcat,
// thrift, ndjson/com.urbanairship.connect/v1 and
// tsv/com.amazon.aws.cloudfront/wd_access_log. A Format splits a decompressed
// input stream into records and turns each record into collector Payloads,
// nothing (a discarded header or non-tracker line) or an error that becomes a
// bad row.
package collector
