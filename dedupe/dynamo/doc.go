// Package dynamo owns the DynamoDB implementation of dedupe.Manifest, the
// cross-batch events manifest of RDB Shredder 0.13 (its "duplicate
// storage", snowplow events-manifest):
//
//   - configuration: RDB Shredder's --duplicate-storage-config JSON
//     (amazon_dynamodb_config 1-0-0, 1-0-1 or 2-0-0; raw or base64), parsed
//     and validated by ParseConfig; Go-side Options add an endpoint override
//     (dynalite in tests), table creation and retry bounds;
//   - the table: HASH eventId (S), RANGE fingerprint (S), attributes etlTime
//     (N, epoch seconds of etl_tstamp) and ttl (N, etlTime + 180 days) —
//     exactly RDB Shredder's, so an existing manifest table keeps working
//     and entries written by either tool deduplicate against the other;
//   - the rule: a conditional PutItem per event,
//     "(attribute_not_exists(eventId) AND attribute_not_exists(fingerprint))
//     OR etlTime = :tst". Success keeps the event (new, or stored by an
//     interrupted run of this same batch); ConditionalCheckFailed drops it
//     (stored by another batch); throttling that outlasts the bounded
//     retries, like every other error, fails Check (ErrThroughput) so the
//     job aborts instead of dropping or duplicating events. RDB Shredder
//     aborted on ProvisionedThroughputExceeded too, but made other errors
//     bad rows; furrow aborts on all of them, and a re-run is safe because
//     entries carry the batch's etlTime.
package dynamo
