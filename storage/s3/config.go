package s3

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// SSE is a server-side encryption mode for writes.
type SSE string

// The server-side encryption modes.
const (
	SSENone   SSE = ""        // no header; "none" is accepted as a synonym
	SSEAES256 SSE = "AES256"  // SSE-S3: x-amz-server-side-encryption: AES256
	SSEKMS    SSE = "aws:kms" // SSE-KMS with Config.SSEKMSKeyID (or the account's aws/s3 key)
)

// Defaults for Config's zero fields.
const (
	// DefaultPartSize is the multipart part size: 16 MiB keeps a part upload
	// long enough to amortise request latency while bounding a writer's
	// buffers to (DefaultConcurrency+1)×16 MiB = 80 MiB.
	DefaultPartSize int64 = 16 << 20
	// DefaultConcurrency is the number of parts of one object uploaded at once.
	DefaultConcurrency = 4
	// DefaultMaxAttempts bounds the attempts of one request (first try
	// included) on throttling, 5xx and connection errors.
	DefaultMaxAttempts = 10
	// DefaultMaxBackoff caps the jittered exponential backoff between attempts.
	DefaultMaxBackoff = 20 * time.Second
	// MinPartSize is S3's smallest multipart part (all but the last).
	MinPartSize int64 = 5 << 20
	// MaxPartSize is S3's largest multipart part.
	MaxPartSize int64 = 5 << 30
)

// EnvPathStyle, set to "true", turns on path-style addressing
// (http://host/bucket/key) as S3-compatible servers often need.
const EnvPathStyle = "FURROW_S3_PATH_STYLE"

// Config configures a Store. The zero value is usable: default credential
// chain, discovered region, no encryption, the defaults above.
type Config struct {
	// SSE is the server-side encryption every write requests: SSENone,
	// SSEAES256 or SSEKMS (furrow.yml: aws.s3.sse; `encrypted: true` means
	// AES256; command line: --sse).
	SSE SSE
	// SSEKMSKeyID is the KMS key id or ARN for SSEKMS (--sse-kms-key-id).
	// Empty with SSEKMS uses the account's AWS-managed aws/s3 key.
	SSEKMSKeyID string
	// SSEOnParts also sends the SSE headers on every UploadPart and
	// CompleteMultipartUpload. Leave it off for AWS S3, which encrypts parts
	// as CreateMultipartUpload asked and rejects the headers on UploadPart
	// (InvalidArgument). MinIO evaluates IAM policy conditions on each of
	// those requests' own headers, so against MinIO a policy that denies
	// s3:PutObject without x-amz-server-side-encryption denies every
	// multipart upload unless this is on.
	SSEOnParts bool
	// PathStyle selects path-style addressing; EnvPathStyle=true also does.
	PathStyle bool
	// Endpoint overrides the S3 endpoint URL (e.g. http://127.0.0.1:9000).
	// Empty: AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else AWS's.
	Endpoint string
	// Region is the bucket's region. Empty: discovered for the bucket, else
	// the SDK configuration's, else us-east-1.
	Region string
	// PartSize is the multipart part size in bytes (default DefaultPartSize,
	// at least MinPartSize). Objects no larger than PartSize use one PutObject.
	PartSize int64
	// Concurrency is the number of parts uploaded at once per object
	// (default DefaultConcurrency).
	Concurrency int
	// MaxAttempts bounds the attempts of each request, first try included
	// (default DefaultMaxAttempts). 1 disables retries.
	MaxAttempts int
	// MaxBackoff caps the backoff between attempts (default DefaultMaxBackoff).
	MaxBackoff time.Duration
	// Credentials replaces the default credential chain when set (tests,
	// tools that assume a role themselves).
	Credentials aws.CredentialsProvider
	// Logger receives the store's few log lines (region discovery, aborts
	// that failed). Nil discards them.
	Logger *slog.Logger
}

// withDefaults returns c with zero fields set to their defaults and the
// environment applied (Endpoint, PathStyle).
func (c Config) withDefaults(getenv func(string) string) Config {
	if getenv == nil {
		getenv = os.Getenv
	}
	if strings.EqualFold(string(c.SSE), "none") {
		c.SSE = SSENone
	}
	if strings.EqualFold(string(c.SSE), "aes256") {
		c.SSE = SSEAES256
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Endpoint == "" {
		c.Endpoint = getenv("AWS_ENDPOINT_URL_S3")
	}
	if c.Endpoint == "" {
		c.Endpoint = getenv("AWS_ENDPOINT_URL")
	}
	if strings.EqualFold(getenv(EnvPathStyle), "true") {
		c.PathStyle = true
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every invalid field, naming its key. Zero fields are
// valid (they take defaults).
func (c Config) Validate() error {
	var errs []error
	switch SSE(strings.ToLower(string(c.SSE))) {
	case SSENone, "none", "aes256", SSEKMS:
	default:
		errs = append(errs, fmt.Errorf("s3.sse: %q is not one of none, AES256, aws:kms", c.SSE))
	}
	if c.SSEKMSKeyID != "" && !strings.EqualFold(string(c.SSE), string(SSEKMS)) {
		errs = append(errs, fmt.Errorf("s3.sse_kms_key_id: set to %q but s3.sse is %q, not aws:kms", c.SSEKMSKeyID, c.SSE))
	}
	if c.SSEOnParts && (SSE(strings.ToLower(string(c.SSE))) == SSENone || strings.EqualFold(string(c.SSE), "none")) {
		errs = append(errs, errors.New("s3.sse_on_parts: set but s3.sse is none"))
	}
	if c.PartSize != 0 && (c.PartSize < MinPartSize || c.PartSize > MaxPartSize) {
		errs = append(errs, fmt.Errorf("s3.part_size: %d bytes is outside S3's %d..%d", c.PartSize, MinPartSize, MaxPartSize))
	}
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("s3.concurrency: %d is negative", c.Concurrency))
	}
	if c.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("s3.max_attempts: %d is negative", c.MaxAttempts))
	}
	if c.MaxBackoff < 0 {
		errs = append(errs, fmt.Errorf("s3.max_backoff: %v is negative", c.MaxBackoff))
	}
	if c.Endpoint != "" {
		if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("s3.endpoint: %q is not an http(s) URL", c.Endpoint))
		}
	}
	return errors.Join(errs...)
}
