package emr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/furrowdata/furrow/bench/gen"
	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/storage"
)

// testLogger logs through t.Log, so a run's log shows only when a test fails.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// testRunTime is the fixed start of test runs: run=2026-11-02-10-00-00.
var testRunTime = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

const testRunID = "2026-11-02-10-00-00"

// resolverFile writes an Iglu resolver config for the repository's sample
// schemas (absolute path, so no chdir is needed) and returns its path.
func resolverFile(t *testing.T) string {
	t.Helper()
	iglu := filepath.Join(testservers.RepoRoot(t), "testdata", "iglu")
	doc := fmt.Sprintf(`{"schema": "iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-1",
 "data": {"cacheSize": 500, "repositories": [{"name": "furrow sample schemas", "priority": 0,
  "vendorPrefixes": ["com.furrowdata"], "connection": {"filesystem": {"path": %q}}}]}}`, iglu)
	p := filepath.Join(t.TempDir(), "iglu_resolver.json")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rawFiles are three generated CloudFront logs (name → content).
func rawFiles() map[string][]byte {
	out := map[string][]byte{}
	for i := range 3 {
		gc := gen.DefaultConfig()
		gc.Seed = int64(100 + i)
		gc.Lines = 120
		gc.Start = time.Date(2026, 11, 2, 8+i, 0, 0, 0, time.UTC)
		out[fmt.Sprintf("E2SAMPLE.2026-11-02-%02d.f%d", 8+i, i)] = gen.CloudFront(gc)
	}
	return out
}

// minioEnv is a MinIO server with the four buckets of a pipeline and a
// user whose IAM policy denies any PutObject without SSE AES256.
type minioEnv struct {
	m           *testservers.MinIO
	key, secret string
	buckets     []string
	resolver    string
	spill       string
}

func newMinIOEnv(t *testing.T) *minioEnv {
	t.Helper()
	m := testservers.StartMinIO(t)
	e := &minioEnv{m: m, buckets: []string{"logs", "etl", "data", "archive"}, resolver: resolverFile(t), spill: t.TempDir()}
	for _, b := range e.buckets {
		m.CreateBucket(t, b)
	}
	creds := m.AddUser(t, "furrow-etl", testservers.DenyUnencryptedPutsPolicy(e.buckets...))
	v, err := creds.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.key, e.secret = v.AccessKeyID, v.SecretAccessKey
	return e
}

// config is a furrow.yml for this server with every location below prefix.
func (e *minioEnv) config(t *testing.T, prefix string, extra string) *Config {
	t.Helper()
	doc := fmt.Sprintf(`
aws:
  access_key_id: %s
  secret_access_key: %s
  s3:
    region: us-east-1
    endpoint: %s
    path_style: true
    sse_on_parts: true
    buckets:
      encrypted: true
      raw:
        in: [s3://logs/%[4]s/cloudfront]
        processing: s3://etl/%[4]s/processing
        archive: s3://archive/%[4]s/raw
      enriched:
        good: s3://data/%[4]s/enriched/good
        bad: s3://data/%[4]s/enriched/bad
        archive: s3://archive/%[4]s/enriched
      shredded:
        good: s3://data/%[4]s/shredded/good
        bad: s3://data/%[4]s/shredded/bad
        archive: s3://archive/%[4]s/shredded
collectors:
  format: cloudfront
enrich:
  resolver: %[5]s
furrow:
  lock: s3://etl/%[4]s/furrow.lock
  partitions: 2
  parallelism: 2
  spill_dir: %[6]s
  move_concurrency: 4
%[7]s`, e.key, e.secret, e.m.Endpoint, prefix, e.resolver, e.spill, extra)
	c, err := Parse([]byte(doc), prefix+"/furrow.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

// putRaw uploads the raw files to s3://logs/<prefix>/cloudfront as root.
func (e *minioEnv) putRaw(t *testing.T, prefix string, files map[string][]byte) {
	t.Helper()
	cl := e.m.Client(nil)
	for name, b := range files {
		_, err := cl.PutObject(context.Background(), &awss3.PutObjectInput{
			Bucket: aws.String("logs"), Key: aws.String(prefix + "/cloudfront/" + name), Body: bytes.NewReader(b),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// tree returns every object below bucket/prefix (relative key → content),
// checking that each carries SSE AES256 when encrypted.
func (e *minioEnv) tree(t *testing.T, bucket, prefix string, wantSSE bool) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	cl := e.m.Client(nil)
	out := map[string][]byte{}
	p := awss3.NewListObjectsV2Paginator(cl, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix + "/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			obj, err := cl.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(obj.Body)
			obj.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if wantSSE && obj.ServerSideEncryption != s3types.ServerSideEncryptionAes256 {
				t.Errorf("s3://%s/%s: ServerSideEncryption = %q, want AES256", bucket, key, obj.ServerSideEncryption)
			}
			out[strings.TrimPrefix(key, prefix+"/")] = b
		}
	}
	return out
}

// outputs is every pipeline output of a test prefix (raw archive, enriched
// and shredded folders, bad rows), run reports left out (they hold timings).
func (e *minioEnv) outputs(t *testing.T, prefix string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, b := range []string{"logs", "etl", "data", "archive"} {
		for k, v := range e.tree(t, b, prefix, b != "logs") {
			if strings.HasSuffix(k, "_run_report.json") {
				continue
			}
			out[b+"/"+k] = v
		}
	}
	return out
}

func keysOf(m map[string][]byte) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// sameTree fails the test unless got and want hold the same keys and bytes.
func sameTree(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	if g, w := strings.Join(keysOf(got), "\n"), strings.Join(keysOf(want), "\n"); g != w {
		t.Fatalf("objects differ:\ngot:\n%s\nwant:\n%s", g, w)
	}
	for k, w := range want {
		if !bytes.Equal(got[k], w) {
			t.Fatalf("%s differs (%d bytes, want %d)", k, len(got[k]), len(w))
		}
	}
}

// errInjected is the failure the fault wrapper injects.
var errInjected = errors.New("injected failure")

// faultStore fails Create (on Close, after the data was written) or
// Delete while armed and its budget of successes is spent.
type faultStore struct {
	storage.Store
	armed        *atomic.Bool
	creates      *atomic.Int64 // successes allowed before Create fails; <0: never fail
	deletes      *atomic.Int64
	failedCreate *atomic.Int64
}

func (f *faultStore) Create(ctx context.Context, key string) (storage.Writer, error) {
	w, err := f.Store.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	if f.creates != nil && f.armed.Load() && f.creates.Add(-1) < 0 {
		f.failedCreate.Add(1)
		return &failingWriter{Writer: w, key: key}, nil
	}
	return w, nil
}

func (f *faultStore) Delete(ctx context.Context, key string) error {
	if f.deletes != nil && f.armed.Load() && f.deletes.Add(-1) < 0 {
		return fmt.Errorf("deleting %s: %w", key, errInjected)
	}
	return f.Store.Delete(ctx, key)
}

type failingWriter struct {
	storage.Writer
	key string
}

func (w *failingWriter) Close() error {
	_ = w.Writer.Abort()
	return fmt.Errorf("writing %s: %w", w.key, errInjected)
}
