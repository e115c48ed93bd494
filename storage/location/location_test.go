package location_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/hdfs"
	"github.com/furrowdata/furrow/storage/local"
	"github.com/furrowdata/furrow/storage/location"
	"github.com/furrowdata/furrow/storage/s3"
	"github.com/furrowdata/furrow/storage/storetest"
)

func TestLocalLocations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, raw := range map[string]string{
		"plain":    filepath.Join(dir, "plain"),
		"file-url": "file://" + filepath.ToSlash(filepath.Join(dir, "url")),
	} {
		t.Run(name, func(t *testing.T) {
			st, err := location.Open(ctx, raw, location.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, ok := st.(*local.Store); !ok {
				t.Fatalf("%s opened a %T, want *local.Store", raw, st)
			}
			storetest.Run(t, st)
		})
	}
	// A relative plain path is made absolute.
	t.Chdir(dir)
	st, err := location.Open(ctx, "rel/out", location.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.(*local.Store).Root(); got != filepath.Join(dir, "rel", "out") {
		t.Fatalf("relative root = %s", got)
	}
}

func TestReadFileLocal(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "conf", "resolver.json")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(`{"schema":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{p, "file://" + filepath.ToSlash(p)} {
		b, err := location.ReadFile(context.Background(), raw, location.Options{})
		if err != nil || string(b) != `{"schema":"x"}` {
			t.Fatalf("ReadFile(%s) = %q, %v", raw, b, err)
		}
	}
	_, err := location.ReadFile(context.Background(), filepath.Join(dir, "conf", "missing.json"), location.Options{})
	if err == nil || !strings.Contains(err.Error(), "missing.json") || !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("missing file: err = %v", err)
	}
}

func TestBadLocationsAndOptions(t *testing.T) {
	ctx := context.Background()
	for raw, want := range map[string]string{
		"":                "empty location",
		"gs://bucket/x":   "unsupported scheme",
		"s3:///nobucket":  "no bucket",
		"file://host/x":   "take no host",
		"ftp://host/path": "unsupported scheme",
	} {
		if _, err := location.Open(ctx, raw, location.Options{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) err = %v, want %q", raw, err, want)
		}
	}
	bad := location.Options{
		S3:   s3.Config{SSE: "AES128", PartSize: 1 << 20},
		HDFS: hdfs.Config{DialTimeout: -time.Second},
	}
	err := bad.Validate()
	for _, key := range []string{"s3.sse", "s3.part_size", "hdfs.dial_timeout"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Validate: %v; want it to name %s", err, key)
		}
	}
	if _, err := location.Open(ctx, "s3://bucket/x", bad); err == nil || !strings.Contains(err.Error(), "s3.sse") {
		t.Errorf("Open with invalid S3 options: %v", err)
	}
	if _, _, err := location.OpenObject(ctx, "s3://bucket", location.Options{}); err == nil || !strings.Contains(err.Error(), "names a bucket") {
		t.Errorf("OpenObject(bucket) err = %v", err)
	}
}

func TestHDFSLocationReachesTheNamenode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = location.Open(context.Background(), "hdfs://"+addr+"/data/raw", location.Options{HDFS: hdfs.Config{User: "furrow", DialTimeout: time.Second}})
	if err == nil || !strings.Contains(err.Error(), "hdfs://"+addr+"/data/raw") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v", err)
	}
}

func TestS3Locations(t *testing.T) {
	m := testservers.StartMinIO(t)
	m.CreateBucket(t, "loc")
	ctx := context.Background()
	opts := location.Options{S3: s3.Config{Endpoint: m.Endpoint, PathStyle: true, Credentials: m.RootCredentials(), SSE: s3.SSEAES256}}
	for _, raw := range []string{"s3://loc/runs/one", "s3a://loc/runs/two/", "s3n://loc/runs/three"} {
		t.Run(strings.SplitN(raw, ":", 2)[0], func(t *testing.T) {
			st, err := location.Open(ctx, raw, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, ok := st.(*s3.Store); !ok {
				t.Fatalf("%s opened a %T", raw, st)
			}
			storetest.Run(t, st)
		})
	}
	// One object by URL: a config next to the data.
	st, err := location.Open(ctx, "s3://loc/config", opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := storage.WriteAll(ctx, st, "enrichments/ua.json", []byte(`{"ua":true}`)); err != nil {
		t.Fatal(err)
	}
	b, err := location.ReadFile(ctx, "s3://loc/config/enrichments/ua.json", opts)
	if err != nil || string(b) != `{"ua":true}` {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	if err := storage.WriteAll(ctx, mustOpen(t, "s3://loc", opts), "top.json", []byte(`top`)); err != nil {
		t.Fatal(err)
	}
	if b, err := location.ReadFile(ctx, "s3://loc/top.json", opts); err != nil || string(b) != "top" {
		t.Fatalf("ReadFile at the bucket root = %q, %v", b, err)
	}
	if _, err := location.ReadFile(ctx, "s3://loc/config/missing.json", opts); err == nil || !strings.Contains(err.Error(), "s3://loc/config/missing.json") {
		t.Fatalf("missing object: err = %v", err)
	}
}

func mustOpen(t *testing.T, raw string, opts location.Options) storage.Store {
	t.Helper()
	st, err := location.Open(context.Background(), raw, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
