package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/storage/s3"
)

// s3Objects returns every object of bucket below prefix: key → content.
func s3Objects(t *testing.T, c *awss3.Client, bucket, prefix string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][]byte{}
	p := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			r, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			out[strings.TrimPrefix(*o.Key, prefix)] = b
		}
	}
	return out
}

// TestRunS3Encrypted: furrow run reads raw logs from one bucket and writes
// shredded Parquet to another as a user whose IAM policy denies any
// unencrypted put; with SSE every object is encrypted and the policy never
// fires, without SSE the run is refused with a clear error and leaves no
// _SUCCESS; through a proxy that injects 503s and resets the output is
// identical.
func TestRunS3Encrypted(t *testing.T) {
	chdirRoot(t)
	m := testservers.StartMinIO(t)
	m.CreateBucket(t, "raw")
	m.CreateBucket(t, "lake")
	root := m.Client(m.RootCredentials())
	ctx := context.Background()
	for _, f := range []string{"E2SAMPLE.2026-11-02-09.a1b2c3d4"} {
		b, err := os.ReadFile(filepath.Join("testdata", "sample", "cloudfront", f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := root.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("raw"), Key: aws.String("in/" + f), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	user := m.AddUser(t, "furrow-etl", testservers.DenyUnencryptedPutsPolicy("raw", "lake"))

	run := func(endpoint, out string, sse s3.SSE) (*Report, error) {
		cfg := runConfig(t, "s3://raw/in/", "cloudfront", "s3://lake/"+out+"/", "parquet")
		cfg.WriteEnriched = false
		cfg.Storage.S3 = s3.Config{Endpoint: endpoint, PathStyle: true, Credentials: user, SSE: sse,
			SSEOnParts:  sse != s3.SSENone, // MinIO checks the deny policy on every part (see s3.Config)
			MaxAttempts: 10, MaxBackoff: 100 * time.Millisecond}
		return Run(ctx, cfg)
	}

	rep, err := run(m.Endpoint, "good", s3.SSEAES256)
	if err != nil {
		t.Fatalf("encrypted run: %v", err)
	}
	if rep.Written == 0 || !rep.Success {
		t.Fatalf("report: %+v", rep)
	}
	objs := s3Objects(t, root, "lake", "good/")
	if _, ok := objs["run=2026-11-02-10-00-00/_SUCCESS"]; !ok || len(objs) < 5 {
		t.Fatalf("objects written: %d, _SUCCESS present: %v", len(objs), ok)
	}
	for key := range objs {
		h, err := root.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("lake"), Key: aws.String("good/" + key)})
		if err != nil {
			t.Fatal(err)
		}
		if h.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Fatalf("%s: ServerSideEncryption = %q, want AES256", key, h.ServerSideEncryption)
		}
	}

	_, err = run(m.Endpoint, "plain", s3.SSENone)
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), "s3://lake/plain/") {
		t.Fatalf("unencrypted run: err = %v, want AccessDenied naming the object", err)
	}
	if _, ok := s3Objects(t, root, "lake", "plain/")["run=2026-11-02-10-00-00/_SUCCESS"]; ok {
		t.Fatal("a refused run wrote _SUCCESS")
	}

	proxy := testservers.StartFaultProxy(t, m.Endpoint, 5)
	if _, err := run(proxy.URL(), "faulty", s3.SSEAES256); err != nil {
		t.Fatalf("run through the faulty proxy: %v", err)
	}
	if proxy.SlowDowns.Load()+proxy.Resets.Load()+proxy.Truncations.Load() == 0 {
		t.Fatal("the proxy injected no fault")
	}
	faulty := s3Objects(t, root, "lake", "faulty/")
	clean := func(o map[string][]byte) []string {
		var keys []string
		for k, v := range o {
			switch filepath.Base(k) {
			case "_run_report.json":
				continue
			case "shredding_complete.json":
				var j map[string]any
				_ = json.Unmarshal(v, &j)
				delete(j, "base")
				delete(j["timestamps"].(map[string]any), "jobStarted")
				delete(j["timestamps"].(map[string]any), "jobCompleted")
				v, _ = json.Marshal(j)
			}
			keys = append(keys, k+"\x00"+string(v))
		}
		sort.Strings(keys)
		return keys
	}
	a, b := clean(objs), clean(faulty)
	if len(a) != len(b) {
		t.Fatalf("clean run wrote %d objects, faulty run %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("object %s differs after injected faults", strings.SplitN(a[i], "\x00", 2)[0])
		}
	}
	t.Logf("faults injected: %d slow-downs, %d resets, %d truncations of %d requests",
		proxy.SlowDowns.Load(), proxy.Resets.Load(), proxy.Truncations.Load(), proxy.Requests.Load())
}
