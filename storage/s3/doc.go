// Package s3 implements storage.Store over Amazon S3 and S3-compatible
// servers (MinIO) with aws-sdk-go-v2.
//
// A Store is rooted at s3://bucket/prefix. It owns:
//
//   - credentials and region: the SDK's default chain (environment, shared
//     config and credentials files, EC2 instance roles through IMDSv2 on EMR
//     nodes) unless Config.Credentials is set; the region comes from
//     Config.Region, else is discovered for the bucket (HeadBucket), else the
//     SDK configuration, else us-east-1;
//   - endpoints: Config.Endpoint, else the SDK's standard AWS_ENDPOINT_URL_S3
//     and AWS_ENDPOINT_URL; path-style addressing with Config.PathStyle or
//     FURROW_S3_PATH_STYLE=true;
//   - writes: Create streams through feature/s3/manager. Objects up to
//     Config.PartSize go up with one PutObject, larger ones as a multipart
//     upload of PartSize parts, Concurrency of them in flight (so a writer
//     holds at most (Concurrency+1)×PartSize bytes of buffers). The object is
//     visible only when Close returns nil; Abort, a cancelled context or any
//     failure aborts the multipart upload so no parts are left behind;
//   - server-side encryption: with SSE "AES256" every PutObject and
//     CreateMultipartUpload carries x-amz-server-side-encryption: AES256; with
//     "aws:kms" it carries aws:kms and x-amz-server-side-encryption-aws-kms-key-id.
//     Reading encrypted objects needs nothing extra;
//   - retries: the SDK's standard retryer, configured explicitly: up to
//     Config.MaxAttempts attempts per request with exponential jittered
//     backoff capped at Config.MaxBackoff, on throttling (503 SlowDown), 5xx
//     and connection errors, with no client-side retry quota. Readers resume a
//     broken GET at the byte where it stopped (If-Match on the ETag) within the
//     same budget. A final failure names the object's s3:// URL.
//
// Listing uses ListObjectsV2 with pagination and skips folder markers
// (zero-byte keys ending in "/", and "_$folder$" placeholders). Other
// Hadoop side files (_SUCCESS, _temporary) are left to storage.IsHidden.
//
// The Store counts requests, attempts and bytes (Stats) for metrics.
package s3
