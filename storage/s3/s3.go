package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/furrowdata/furrow/storage"
)

// Store is a storage.Store rooted at s3://bucket/prefix. All methods may be
// called concurrently.
type Store struct {
	bucket string
	prefix string // "" or a key prefix ending in "/"
	cfg    Config
	client *s3.Client
	//lint:ignore SA1019 feature/s3/manager is the uploader DESIGN.md chose; its successor (transfermanager) is not in go.mod.
	uploader *manager.Uploader

	transport atomic.Pointer[http.Transport] // the SDK client's, once built

	requests, attempts, failedAttempts atomic.Int64
	bytesRead, bytesWritten            atomic.Int64
}

// Stats are the store's counters since New, for metrics.
type Stats struct {
	Requests       int64 // S3 operations started (one per API call)
	Attempts       int64 // HTTP attempts, retries included
	FailedAttempts int64 // attempts that ended in an error (retried or final)
	BytesRead      int64 // object bytes delivered by OpenRange readers
	BytesWritten   int64 // object bytes accepted by Create writers
}

// New returns a Store rooted at s3://bucket/prefix. It resolves credentials
// lazily (the first request fails if none are found) and the region eagerly
// (Config.Region, or one HeadBucket to discover it).
func New(ctx context.Context, bucket, prefix string, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if bucket == "" {
		return nil, errors.New("s3 store: empty bucket name")
	}
	cfg = cfg.withDefaults(nil)
	s := &Store{bucket: bucket, cfg: cfg}
	if p := strings.Trim(prefix, "/"); p != "" {
		s.prefix = p + "/"
	}

	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = cfg.MaxAttempts
				o.MaxBackoff = cfg.MaxBackoff
				// No client-side retry quota: a burst of SlowDown from one
				// busy prefix must not turn into failures elsewhere.
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	// Parallel part uploads and readers need more than the SDK's 10 idle
	// connections per host to keep connections reused.
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = 256
		tr.MaxIdleConnsPerHost = 128
		s.transport.Store(tr)
	})
	opts = append(opts, config.WithHTTPClient(httpClient))
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3 store %s: loading AWS configuration: %w", s.URL(""), err)
	}
	clientOpts := func(o *s3.Options) {
		o.UsePathStyle = cfg.PathStyle
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.DisableLogOutputChecksumValidationSkipped = true
		o.APIOptions = append(o.APIOptions, s.countRequests)
	}
	region := cfg.Region
	if region == "" {
		region = s.discoverRegion(ctx, awsCfg, clientOpts)
	}
	awsCfg.Region = region
	s.client = s3.NewFromConfig(awsCfg, clientOpts)
	//lint:ignore SA1019 feature/s3/manager is the uploader DESIGN.md chose; its successor is not in go.mod.
	s.uploader = manager.NewUploader(s.client, func(u *manager.Uploader) {
		u.PartSize = cfg.PartSize
		u.Concurrency = cfg.Concurrency
		// The writer aborts failed uploads itself, with a context that a
		// cancelled write context does not kill (the manager reuses it).
		u.LeavePartsOnError = true
		if cfg.SSEOnParts {
			u.ClientOptions = append(u.ClientOptions, func(o *s3.Options) {
				o.APIOptions = append(o.APIOptions, s.partSSEHeaders)
			})
		}
	})
	return s, nil
}

// discoverRegion finds the bucket's region when Config.Region is empty: one
// anonymous HeadBucket, whose answer (even a 403) carries the bucket's
// region on AWS and MinIO; failing that the SDK configuration's region,
// else us-east-1.
func (s *Store) discoverRegion(ctx context.Context, awsCfg aws.Config, clientOpts func(*s3.Options)) string {
	fallback := awsCfg.Region
	if fallback == "" {
		fallback = "us-east-1"
	}
	probeCfg := awsCfg.Copy()
	probeCfg.Region = fallback
	probe := s3.NewFromConfig(probeCfg, clientOpts)
	region, err := manager.GetBucketRegion(ctx, probe, s.bucket)
	if err != nil || region == "" {
		s.cfg.Logger.Warn("s3: could not discover the bucket's region; using the configured one",
			"bucket", s.bucket, "region", fallback, "error", err)
		return fallback
	}
	if region != awsCfg.Region {
		s.cfg.Logger.Debug("s3: discovered bucket region", "bucket", s.bucket, "region", region)
	}
	return region
}

// countRequests is an SDK middleware counting operations and attempts.
func (s *Store) countRequests(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("FurrowCountRequests",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			s.requests.Add(1)
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	if err != nil {
		return err
	}
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("FurrowCountAttempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			s.attempts.Add(1)
			out, md, err := next.HandleFinalize(ctx, in)
			if err != nil {
				s.failedAttempts.Add(1)
			}
			return out, md, err
		}), "Retry", middleware.After)
}

func isPartOperation(op string) bool {
	return op == "UploadPart" || op == "CompleteMultipartUpload"
}

// partSSEHeaders adds the configured SSE headers to UploadPart and
// CompleteMultipartUpload requests
// (Config.SSEOnParts), before signing so that they are signed.
func (s *Store) partSSEHeaders(stack *middleware.Stack) error {
	return stack.Build.Add(middleware.BuildMiddlewareFunc("FurrowPartSSEHeaders",
		func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok && isPartOperation(awsmiddleware.GetOperationName(ctx)) {
				req.Header.Set("X-Amz-Server-Side-Encryption", string(s.cfg.SSE))
				if s.cfg.SSE == SSEKMS && s.cfg.SSEKMSKeyID != "" {
					req.Header.Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", s.cfg.SSEKMSKeyID)
				}
			}
			return next.HandleBuild(ctx, in)
		}), middleware.After)
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	return Stats{
		Requests:       s.requests.Load(),
		Attempts:       s.attempts.Load(),
		FailedAttempts: s.failedAttempts.Load(),
		BytesRead:      s.bytesRead.Load(),
		BytesWritten:   s.bytesWritten.Load(),
	}
}

// Client returns the underlying S3 client (tests, tools).
func (s *Store) Client() *s3.Client { return s.client }

// Bucket returns the store's bucket.
func (s *Store) Bucket() string { return s.bucket }

// ObjectKey returns the full S3 object key of a store key.
func (s *Store) ObjectKey(key string) string { return s.prefix + key }

func (s *Store) checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") {
		return fmt.Errorf("s3 store %s: invalid key %q", s.URL(""), key)
	}
	return nil
}

// List implements storage.Store: ListObjectsV2 pages of up to 1000 keys, in
// S3's (byte-wise lexical) order, skipping folder markers.
func (s *Store) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(s.prefix + prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing %s: %w", s.URL(prefix), err)
		}
		for _, o := range page.Contents {
			full := aws.ToString(o.Key)
			key, ok := strings.CutPrefix(full, s.prefix)
			if !ok || key == "" {
				continue
			}
			size := aws.ToInt64(o.Size)
			if isFolderMarker(key, size) {
				continue
			}
			info := storage.ObjectInfo{Key: key, Size: size}
			if o.LastModified != nil {
				info.ModTime = *o.LastModified
			}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// isFolderMarker reports keys that console and Hadoop tools create to fake
// folders: zero-byte "dir/" keys and "dir_$folder$" placeholders.
func isFolderMarker(key string, size int64) bool {
	return (size == 0 && strings.HasSuffix(key, "/")) || strings.HasSuffix(key, "_$folder$")
}

// Stat implements storage.Store with HeadObject.
func (s *Store) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if err := s.checkKey(key); err != nil {
		return storage.ObjectInfo{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil {
		return storage.ObjectInfo{}, s.wrap("stat", key, err)
	}
	info := storage.ObjectInfo{Key: key, Size: aws.ToInt64(out.ContentLength)}
	if out.LastModified != nil {
		info.ModTime = *out.LastModified
	}
	return info, nil
}

// Delete implements storage.Store; S3 does not report missing keys.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.checkKey(key); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil && !isNotFound(err) {
		return s.wrap("deleting", key, err)
	}
	return nil
}

// IsNotFound implements storage.Store.
func (s *Store) IsNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }

// URL implements storage.Store: s3://bucket/prefix/key.
func (s *Store) URL(key string) string {
	return "s3://" + s.bucket + "/" + s.prefix + key
}

// Close implements storage.Store. It releases idle connections.
func (s *Store) Close() error {
	if tr := s.transport.Load(); tr != nil {
		tr.CloseIdleConnections()
	}
	return nil
}

// wrap names the object in err, turning S3's not-found answers into
// storage.ErrNotFound.
func (s *Store) wrap(op, key string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("%s %s: %w", op, s.URL(key), storage.ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, s.URL(key), err)
}

// isNotFound reports S3's answers for a missing object (NoSuchKey on GET,
// a bare 404 "NotFound" on HEAD). A missing bucket is not a missing object.
func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		case "NoSuchBucket":
			return false
		}
	}
	return false
}

// errorCode returns the S3 error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus returns the HTTP status of an S3 error response, or 0.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// detached returns a context for cleanup that outlives ctx's cancellation
// but not forever.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
}

var _ storage.Store = (*Store)(nil)
var _ io.ReadCloser = (*reader)(nil)
